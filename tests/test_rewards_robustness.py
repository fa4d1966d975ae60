"""Never crash or hang a run: deadlines, errors, worker deaths, the health check, threads, processes."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time

import pytest
from euro_post.rewards import (
    MathAccuracy,
    RewardHealthError,
    RewardMonitor,
    format_reward,
    language_consistency,
    length_penalty,
    math_accuracy,
)
from euro_post.rewards.pool import get_pool
from euro_post.rewards.verify import _CACHE

_CACHE_CLEAR = _CACHE.clear

# Engines run in the verifier workers; they are found there by module and name.
# LaTeX gold answers make every row go to the engine (plain numbers are decided in-process).


def sleepy_engine(gold: str, prediction: str) -> bool:
    if "sleep" in prediction:
        time.sleep(60)
    return gold == prediction


def raising_engine(gold: str, prediction: str) -> bool:
    if "boom" in prediction:
        raise RuntimeError("verifier exploded")
    return gold == prediction


def crashing_engine(gold: str, prediction: str) -> bool:
    if "crash" in prediction:
        os._exit(3)
    return gold == prediction


def _rows(predictions: list[str]) -> dict:
    return {
        "prompts": [""] * len(predictions),
        "completions": [f"Answer: \\text{{{p}}}" for p in predictions],
        "answer": ["\\text{ok}"] * len(predictions),
        "lang": ["en"] * len(predictions),
    }


def test_hanging_verifier_times_out_and_the_pool_recovers():
    reward = MathAccuracy(engine=sleepy_engine, item_timeout_s=1.0, min_calls=1000)
    pool = get_pool()
    restarts = pool.restarts
    started = time.monotonic()
    assert reward(**_rows(["sleep", "ok", "no"])) == [None, 1.0, 0.0]
    assert time.monotonic() - started < 30
    assert reward.stats()["timeouts"] == 1 and reward.stats()["none"] == 1
    assert "over the limit of 1.0 s" in reward.monitor.last_failure
    assert pool.restarts == restarts + 1  # the stuck worker was killed and replaced
    assert reward(**_rows(["again", "ok again"])) == [0.0, 0.0]  # and the pool goes on scoring


def test_raising_and_crashing_verifiers_give_none_and_are_counted():
    reward = MathAccuracy(engine=raising_engine, min_calls=1000)
    assert reward(**_rows(["boom", "ok"])) == [None, 1.0]
    assert reward.stats()["errors"] == 1
    assert "verifier exploded" in reward.monitor.last_failure

    crashing = MathAccuracy(engine=crashing_engine, min_calls=1000)
    assert crashing(**_rows(["crash", "ok"])) == [None, 1.0]
    assert crashing.stats()["errors"] == 1
    assert "exit code 3" in crashing.monitor.last_failure


def test_batch_time_limit():
    pool = get_pool()
    pool.start(wait_ready=True)
    restarts = pool.restarts
    reward = MathAccuracy(engine=sleepy_engine, item_timeout_s=30, batch_timeout_s=0.5, min_calls=1000)
    started = time.monotonic()
    assert reward(**_rows(["sleep", "sleep too"])) == [None, None]
    assert time.monotonic() - started < 10
    assert reward.stats()["timeouts"] == 2
    assert "over the batch limit of 0.5 s" in reward.monitor.last_failure
    assert pool.restarts > restarts  # the running task was stopped, not left to sleep


def test_health_check_stops_a_broken_verifier():
    reward = MathAccuracy(engine=raising_engine, max_error_rate=0.5, min_calls=32)
    assert reward(**_rows(["boom"] * 20 + ["ok"] * 4)) == [None] * 20 + [1.0] * 4  # 24 calls: too few to judge
    with pytest.raises(RewardHealthError) as caught:
        reward(**_rows(["boom"] * 10))
    message = str(caught.value)
    assert "'math_accuracy'" in message and "88%" in message and "50%" in message
    assert caught.value.rate == pytest.approx(30 / 34) and caught.value.threshold == 0.5


def test_monitor_rates_and_threshold():
    monitor = RewardMonitor("demo", max_error_rate=0.25, min_calls=4, window=8)
    monitor.record(["ok", "ok", "none", "error"])
    monitor.check()  # 1 failure in 4 = 25%: not past the limit
    assert monitor.stats()["error_rate"] == 0.25 and monitor.stats()["none_rate"] == 0.5
    monitor.record(["timeout"])
    with pytest.raises(RewardHealthError, match="reward 'demo' failed on 40% of its last 5 calls"):
        monitor.check()
    monitor.record(["ok"] * 8)  # the window forgets old failures
    monitor.check()
    assert monitor.stats()["window_error_rate"] == 0.0 and monitor.stats()["timeouts"] == 1


ROWS = {
    "completions": [
        "Schritt 1: Anna kauft drei Kisten mit je 1.250 Äpfeln: 3 · 1.250 = 3.750\nAntwort: 3.750",
        "Étape 1 : Marie partage 12,5 € entre deux amis : 12,5 : 2 = 6,25\nRéponse : 6,25 €",
        "Step 1: half of one is one half, which is the answer here\n\\boxed{\\frac{1}{2}}",
        "Krok 1: Maria kupiła trzy jabłka i dwie gruszki.\nOdpowiedź: −4",
    ],
    "answer": ["3750", "6.25", "0.5", "-3"],
    "lang": ["de", "fr", "en", "pl"],
}
EXPECTED = [
    [1.0, 1.0, 1.0, 0.0],  # math_accuracy (the boxed fraction goes through math-verify)
    [1.0, 1.0, 1.0, 1.0],  # format
    [1.0, 1.0, 1.0, 1.0],  # language_consistency
    [-0.625, -1.0, -0.25, 0.0],  # length: 17, 20, 14, 11 words against max 20, cache 8
]


def score_all(rows: dict) -> list[list]:
    """Every reward on the same rows (module level, so another process can run it)."""
    length = length_penalty(20, 8)
    return [f(prompts=None, **rows) for f in (math_accuracy, format_reward, language_consistency, length)]


def test_same_scores_in_the_main_thread_and_a_worker_thread():
    assert score_all(ROWS) == EXPECTED
    in_thread = []
    thread = threading.Thread(target=lambda: in_thread.append(score_all(ROWS)))
    thread.start()
    thread.join(timeout=120)
    assert in_thread == [EXPECTED]


def test_same_scores_in_a_spawned_process():
    # In-process rows only (no math-verify call), so the child does not start verifier workers;
    # the test below runs the pool inside a child process.
    rows = {key: [values[i] for i in (0, 1, 3)] for key, values in ROWS.items()}
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(score_all, (rows,)) == [[e[i] for i in (0, 1, 3)] for e in EXPECTED]


def test_pool_in_a_forked_daemonic_child_uses_its_own_workers():
    # A daemonic multiprocessing child (like a DataLoader worker) cannot have multiprocessing
    # children; the verifier pool uses plain subprocesses, so it works there, and a forked child
    # never touches the workers it inherited from its parent.
    parent_pool = get_pool()
    assert math_accuracy(prompts=None, **ROWS) == EXPECTED[0]
    parent_pids = parent_pool.pids()
    reader, writer = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("fork").Process(target=_child_scores, args=(writer,), daemon=True)
    child.start()
    assert reader.poll(120), "the child did not answer"
    scores, child_pids = reader.recv()
    child.join(timeout=30)
    assert scores == EXPECTED[0]
    assert child_pids and set(child_pids).isdisjoint(parent_pids)
    assert parent_pool.pids() == parent_pids  # the parent's workers are untouched
    assert math_accuracy(prompts=None, **{**ROWS, "answer": ["3750", "6.25", "0.25", "-4"]}) == [1.0, 1.0, 0.0, 1.0]


def _child_scores(writer) -> None:
    _CACHE_CLEAR()  # make the child verify for itself rather than reuse the parent's verdicts
    scores = math_accuracy(prompts=None, **ROWS)
    writer.send((scores, get_pool().pids()))


# -- megabyte completions: every reward in time linear in the length -------------------------
MB = 1_000_000
HOSTILE = {
    "repeated_sum": "1+" * (MB // 2) + "1",
    "repeated_sum_with_result": "1+" * (MB // 2) + "1=" + str(MB // 2 + 1),
    "spaced_sum": "1 + " * (MB // 4) + "1",
    "digit_run": "7" * MB,
    "equals_signs": "1=" * (MB // 2),
    "true_equations": "1+1=2\n" * (MB // 6),
    "answer_markers": "Antwort: 5\n" * (MB // 11),
    "bare_markers": "Answer:\n" * (MB // 8),
    "nested_braces": "{" * (MB // 2) + "}" * (MB // 2),
    "nested_boxed": "\\boxed{" * (MB // 7),
    "nested_parens_answer": "x" * (MB - 2000) + "\nAntwort: " + "(" * 400 + "5" + ")" * 400,  # under MAX_ANSWER_CHARS
    "no_spaces": "a" * MB,
    "grouped_digits": "1 000 " * (MB // 6),
    "separators": "1." * (MB // 2),
    "minus_signs": "-" * MB,
    "newlines": "\n" * MB,
    "whitespace_after_sum": "1 + 1" + " " * MB,
    "colons": "1 : " * (MB // 4),
    "percentages": "5 % + " * (MB // 6),
    "latex_wrappers": "\\text{" * (MB // 6),
    "mixed_scripts": "Ωx1 " * (MB // 4),
}


def _hostile_rewards(tokenizer) -> dict:
    """name -> score(text) for a de row whose gold answer is 5; numbers parsing included."""
    from euro_post.rewards import get_reward
    from euro_post.rewards.extract import extract_answer
    from euro_post.rewards.numbers import parse_number

    def row_reward(reward):
        return lambda text: reward(prompts=None, completions=[text], answer=["5"], lang=["de"])[0]

    math_accuracy.warm_up()
    language_consistency.warm_up()  # loads the identifier model: a one-off cost, not a per-completion one
    return {
        "math_accuracy": row_reward(math_accuracy),
        "format": row_reward(format_reward),
        "language_consistency": row_reward(language_consistency),
        "length_tokens": row_reward(length_penalty(512, 128, tokenizer=tokenizer)),
        "length_words": row_reward(length_penalty(512, 128)),
        "arithmetic": row_reward(get_reward("arithmetic")),
        "extract_answer": lambda text: extract_answer(text, "de"),
        "parse_number": lambda text: parse_number(text, "de"),
    }


# Scores that show what the reward makes of the input, beside its speed.
HOSTILE_SCORES = {
    ("math_accuracy", "answer_markers"): 1.0,
    ("math_accuracy", "digit_run"): 0.0,
    ("math_accuracy", "nested_parens_answer"): 0.0,  # nests too deep for a final answer: no math-verify call
    ("format", "answer_markers"): 0.0,  # more than one answer line
    ("arithmetic", "true_equations"): 1.0,
    ("arithmetic", "repeated_sum_with_result"): 0.0,  # too long to be a step: counted, not computed
    ("length_tokens", "digit_run"): -1.0,  # more characters than 512 tokens can hold: not tokenized
}


def test_every_reward_scores_a_hostile_megabyte_in_under_a_second(tiny_tokenizer):
    # CPU time of this process: the machine is shared, so wall time would measure the neighbours.
    # (math-verify runs in the verifier workers under its own deadline; none of these reach it.)
    slow = []
    for name, score in _hostile_rewards(tiny_tokenizer).items():
        for case, text in HOSTILE.items():
            started = time.process_time()
            value = score(text)
            spent = time.process_time() - started
            if spent >= 1.0:
                slow.append(f"{name} on {case}: {spent:.2f} s")
            if (name, case) in HOSTILE_SCORES:
                assert value == HOSTILE_SCORES[name, case], (name, case, value)
    assert not slow, slow


def test_the_length_reward_tokenizes_up_to_its_bound(tiny_tokenizer):
    from euro_post.rewards.length import MAX_CHARS_PER_TOKEN

    reward = length_penalty(16, 4, tokenizer=tiny_tokenizer)
    bound = 16 * MAX_CHARS_PER_TOKEN
    words = "Anna hat 12 Äpfel."  # 7 tokens
    assert reward.lengths([words]) == [len(tiny_tokenizer(words, add_special_tokens=False)["input_ids"])] == [7]
    at_bound = "a" * bound  # tokenized: a few letters a token, far over the limit
    assert reward.lengths([at_bound])[0] > 16 and reward.lengths([at_bound + "a"]) == [17]  # not tokenized
    assert reward(prompts=None, completions=[words, at_bound, at_bound + "a"]) == [0.0, -1.0, -1.0]


def test_the_arithmetic_scan_reads_each_run_of_terms_once():
    from euro_post.rewards.arithmetic import MAX_TEXT_CHARS, arithmetic_score, equations

    text = "1 + 2 3 + 4 = 7, 12 345 + 1 = 12346 and 5 = 5 - 1 = 4"
    assert list(equations(text)) == [("3 + 4", False, "7"), ("12 345 + 1", False, "12346"), ("5 - 1", False, "4")]
    assert arithmetic_score("2 + 2 = 4\n" + "x" * MAX_TEXT_CHARS + "2 + 2 = 5", "en") == 1.0  # only the start is read
    assert arithmetic_score("1+" * 600 + "1 = 601", "en") == 0.0  # over MAX_EQUATION_CHARS: not computed
    assert arithmetic_score("1+" * 400 + "1 = 401", "en") == 1.0
