"""Evaluation: per-language metrics of every stage's checkpoint, lm-eval, and the run report.

- `euro_post.eval.stage.run(config, ctx)`: the eval stage of a recipe.
- `euro_post.eval.standalone.evaluate_checkpoint(checkpoint, languages, tasks, out, limit)`:
  `euro-post eval` on any checkpoint.
- `euro_post.eval.report.write_report(run_dir)` and `compare_runs(run_a, run_b)`:
  `euro-post report`.
- `metrics.py` (intervals, pass@k), `evaluate.py` (one checkpoint), `harness.py` (lm-eval),
  `plots.py` and `report_markdown.py` (the report's figures and text).
"""
