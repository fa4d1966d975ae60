"""Provenance: the model card, the EU training-content summary, and the machine a run ran on."""
