"""Supervised fine-tuning: the chat format and worked, step-by-step answers in every language (stage.py)."""
