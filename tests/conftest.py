"""Shared fixtures: tiny models made on the fly, never downloaded."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import network_guard
import pytest

from euro_post.pipeline import network

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# What `euro-post` sets before any library is imported (no telemetry, no update checks), for
# the tests that import those libraries themselves.
os.environ.update(network.QUIET)

# No test, nor any process a test starts, may reach beyond this machine (tests/network_guard.py):
# every attempt is refused and recorded, and fails the test during which it was recorded.
NETWORK_LOG = Path(tempfile.mkdtemp(prefix="euro-post-network-"))
os.environ.update(network_guard.child_env(os.environ, NETWORK_LOG))
network_guard.install(NETWORK_LOG)
_reported: set[str] = set()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    finally:
        attempts = {name: text for name, text in network_guard.attempts(NETWORK_LOG).items() if name not in _reported}
        _reported.update(attempts)
        if attempts:
            pytest.fail(
                f"{len(attempts)} attempt(s) to reach another machine during this test:\n\n" + "\n".join(attempts.values()),
                pytrace=False,
            )


def pytest_sessionfinish(session):
    shutil.rmtree(NETWORK_LOG, ignore_errors=True)


# One sentence per language is enough for a tokenizer that round-trips every script.
SAMPLE_TEXT = {
    "bg": "Мария има 12 ябълки и купува още 5.",
    "cs": "Jana má 12 jablek a koupí ještě 5.",
    "da": "Mette har 12 æbler og køber 5 mere.",
    "de": "Anna hat 12 Äpfel und kauft noch 5 dazu.",
    "el": "Η Μαρία έχει 12 μήλα και αγοράζει άλλα 5.",
    "en": "Anna has 12 apples and buys 5 more.",
    "es": "Lucía tiene 12 manzanas y compra 5 más.",
    "et": "Mari ostab poest 12 õuna ja veel 5.",
    "fi": "Liisalla on 12 omenaa ja hän ostaa 5 lisää.",
    "fr": "Léa a 12 pommes et en achète 5 de plus.",
    "ga": "Tá 12 úll ag Áine agus ceannaíonn sí 5 eile.",
    "hr": "Ana ima 12 jabuka i kupuje još 5.",
    "hu": "Annának 12 almája van, és vesz még 5-öt.",
    "it": "Giulia ha 12 mele e ne compra altre 5.",
    "lt": "Rūta turi 12 obuolių ir perka dar 5.",
    "lv": "Annai ir 12 āboli, un viņa nopērk vēl 5.",
    "mt": "Marija għandha 12-il tuffieħa u tixtri 5 oħra.",
    "nl": "Anna heeft 12 appels en koopt er nog 5.",
    "pl": "Anna ma 12 jabłek i kupuje jeszcze 5.",
    "pt": "A Ana tem 12 maçãs e compra mais 5.",
    "ro": "Ana are 12 mere și mai cumpără 5.",
    "sk": "Jana má 12 jabĺk a kúpi ešte 5.",
    "sl": "Ana ima 12 jabolk in kupi še 5.",
    "sv": "Anna har 12 äpplen och köper 5 till.",
}


@pytest.fixture(scope="session")
def tiny_tokenizer():
    from euro_post.base_pretrain.tokenizer import train_tokenizer

    texts = {lang: [text] * 20 for lang, text in SAMPLE_TEXT.items()}
    return train_tokenizer(texts, vocab_size=700, sample_size=2000, seed=0)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory, tiny_tokenizer):
    """A random tiny LLaMA-style checkpoint with the project's tokenizer and chat template."""
    from euro_post.models.presets import new_model

    path = tmp_path_factory.mktemp("tiny") / "checkpoint"
    model = new_model("tiny", tiny_tokenizer, seed=0)
    model.save_pretrained(path)
    tiny_tokenizer.save_pretrained(path)
    return str(path)
