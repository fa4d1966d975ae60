"""The pipeline: the recipe and its typed configs, the runner's decisions (skip, resume, rerun), stop signals, atomic files and checkpoint fingerprints, progress and metrics."""
