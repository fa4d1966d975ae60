"""The private (underscore) methods and attributes of transformers' and TRL's trainers that
euro-post overrides, calls or reads (euro_post/training/trainer.py, OVERRIDDEN_PRIVATE_METHODS)
are all still there in the installed versions. A library release that renames one would
otherwise break training silently (an override never called) or late (mid-run)."""

from __future__ import annotations

import importlib
import inspect
import re
from importlib.metadata import version

import pytest

from euro_post.training.trainer import OVERRIDDEN_PRIVATE_METHODS

CLASSES = {
    "transformers.Trainer": ("transformers", "Trainer"),
    "trl.SFTTrainer": ("trl", "SFTTrainer"),
    "trl.DPOTrainer": ("trl", "DPOTrainer"),
    "trl.experimental.cpo.CPOTrainer": ("trl.experimental.cpo", "CPOTrainer"),
    "trl.GRPOTrainer": ("trl", "GRPOTrainer"),
}


def library_class(name: str):
    module, attribute = CLASSES[name]
    return getattr(importlib.import_module(module), attribute)


def required(name: str) -> tuple[str, ...]:
    """What `name` must have: its own entries and those of the classes it derives from."""
    cls = library_class(name)
    return tuple(
        member
        for other, members in OVERRIDDEN_PRIVATE_METHODS.items()
        if issubclass(cls, library_class(other))
        for member in members
    )


def has_member(cls, member: str) -> bool:
    """A method or class attribute, or an instance attribute that the class (or a base) assigns."""
    if hasattr(cls, member):
        return True
    assigned = re.compile(rf"\bself\.{re.escape(member)}\s*(:[^=\n]*)?=[^=]")
    for base in cls.__mro__:
        if base is object:
            continue
        try:
            source = inspect.getsource(base)
        except (OSError, TypeError):
            continue
        if assigned.search(source):
            return True
    return False


def test_every_trainer_class_is_listed():
    assert set(OVERRIDDEN_PRIVATE_METHODS) == set(CLASSES)


@pytest.mark.parametrize("name", list(CLASSES))
def test_private_members_the_project_relies_on_exist(name, monkeypatch):
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    cls = library_class(name)
    library = name.split(".")[0]
    missing = [member for member in required(name) if not has_member(cls, member)]
    assert not missing, (
        f"{library} {version(library)}: {name} has no {', '.join(missing)}, which euro-post overrides or uses "
        "(euro_post/training/trainer.py, OVERRIDDEN_PRIVATE_METHODS): port the code that uses them, or install "
        f"a {library} that has them"
    )


def test_the_check_names_what_is_missing():
    class Trainer:
        def __init__(self):
            self._kept = 1

    assert has_member(Trainer, "_kept") and has_member(Trainer, "__init__")
    assert not has_member(Trainer, "_gone")


def test_every_euro_post_trainer_puts_the_mixin_first():
    from euro_post.base_pretrain.training import PretrainTrainer
    from euro_post.preference.trainers import EuroDPOTrainer, _counting_cpo_trainer
    from euro_post.rl.trainer import EuroGRPOTrainer
    from euro_post.sft.trainer import EuroSFTTrainer

    from euro_post.training.trainer import EuroTrainerMixin

    for cls in (PretrainTrainer, EuroSFTTrainer, EuroDPOTrainer, _counting_cpo_trainer(), EuroGRPOTrainer):
        library = next(base for base in cls.__mro__ if base.__module__.split(".")[0] in ("transformers", "trl"))
        assert cls.__mro__.index(EuroTrainerMixin) < cls.__mro__.index(library), cls
