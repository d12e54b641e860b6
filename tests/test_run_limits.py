"""Issue 17.2: what a run may cost is bounded (parameters, memory), by the server's own limits, before Train."""

import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dropviz import layers, train
from dropviz.config import RunConfig
from dropviz.limits import RunLimits, RunTooLarge, check_run, cli_limits, estimate_run
from dropviz.models import build_model
from ui import session
from ui.run_limits import DEFAULT_MAX_PARAMETERS, web_run_limits

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
ISSUE_HIDDEN = "8192,8192,8192,8192,8192,8192"


pytestmark = pytest.mark.usefixtures("fresh_sessions")


def test_parameter_count_is_the_models_own():
    for config, shape in [
        (RunConfig(hidden=(128, 128)), (2, 2)),
        (RunConfig(hidden=(100, 7, 3)), (784, 10)),
        (RunConfig(hidden=(5,), method="dropconnect"), (64, 10)),
    ]:
        cost = estimate_run(config, *shape)
        assert cost.n_parameters == build_model(config, *shape).n_parameters
        assert cost.layer_sizes == (shape[0], *config.hidden, shape[1])


def test_memory_estimate_by_hand():
    # 2-10-2: P = 2*10+10 + 10*2+2 = 52; two nets x (weights, grads, momentum, one copy) = 2*52*4 = 416
    # batch 32 x 14 units x 4 floats x 2 nets = 3584; eval 3 x 4096 x 10 = 122880; states 41 x 2 x 256 x 10 = 209920
    config = RunConfig(hidden=(10,), batch_size=32)
    assert estimate_run(config, 2, 2).memory_bytes == 4 * (416 + 3584 + 122880 + 209920)
    # Adam keeps two slots, no twin halves the nets, no snapshots kept: 52 * (2 + 2 + 0) + 32*14*4 + 122880
    lean = config.changed(optimizer="adam", twin=False)
    assert estimate_run(lean, 2, 2, state_history=-1, model_copies=0).memory_bytes == 4 * (208 + 1792 + 122880)


def test_estimate_uses_the_engines_own_chunk_sizes():
    from dropviz import limits

    assert limits.EVAL_CHUNK == train.EVAL_CHUNK
    assert limits.DROPCONNECT_CHUNK_ELEMENTS == layers.DROPCONNECT_CHUNK_ELEMENTS


def test_the_issues_link_is_refused_by_the_web_limits_naming_limit_and_size():
    config = RunConfig(hidden=ISSUE_HIDDEN)
    with pytest.raises(RunTooLarge) as caught:
        check_run(config, 2, 2, web_run_limits())
    message = str(caught.value)
    assert "2-8192-8192-8192-8192-8192-8192-2 has 336 M parameters" in message
    assert "the limit is 4 M" in message and "DROPVIZ_MAX_PARAMETERS" in message
    assert "GB of memory" in message  # 8 GB of weights, gradients and momentum alone
    assert check_run(RunConfig(hidden=(1024, 1024)), 784, 10, web_run_limits()).n_parameters == 1_863_690


def test_web_limits_come_from_the_environment_and_bad_values_fall_back(monkeypatch):
    monkeypatch.setenv("DROPVIZ_MAX_PARAMETERS", "10000")
    monkeypatch.setenv("DROPVIZ_MAX_RUN_MB", "2")
    limits = web_run_limits()
    assert limits.max_parameters == 10_000 and limits.max_memory_bytes == 2 << 20
    monkeypatch.setenv("DROPVIZ_MAX_PARAMETERS", "lots")
    assert web_run_limits().max_parameters == DEFAULT_MAX_PARAMETERS


def test_trainer_refuses_before_allocating_weights():
    with pytest.raises(RunTooLarge, match="has 336 M parameters, the limit is 1 M"):
        train.Trainer(RunConfig(hidden=ISSUE_HIDDEN), limits=RunLimits(max_parameters=1_000_000))


def test_cli_allows_more_than_the_web_app_and_refuses_with_one_line():
    assert cli_limits().max_parameters is None and cli_limits().max_memory_bytes > web_run_limits().max_memory_bytes
    result = subprocess.run(
        [sys.executable, "-m", "dropviz", "train", "--hidden", ISSUE_HIDDEN, "--max-memory-mb", "4000"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "needs about 8.02 GB of memory, the limit is 3.91 GB (set by --max-memory-mb)" in result.stderr


def test_playground_says_so_before_train_and_never_builds_the_run():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["hidden"] = ISSUE_HIDDEN
    at.run()
    assert not at.exception
    warning = "\n".join(w.value for w in at.warning)
    assert "too large for this server" in warning and "336 M parameters, the limit is 4 M" in warning
    assert "DROPVIZ_MAX_PARAMETERS" in warning
    assert at.button(key="pg_train").disabled and at.button(key="pg_step").disabled
    assert all(holder.runner is None for holder in session.REGISTRY.holders() if hasattr(holder, "runner"))


def test_playground_limit_is_the_servers_choice(monkeypatch):
    monkeypatch.setenv("DROPVIZ_MAX_PARAMETERS", "10000")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    warning = "\n".join(w.value for w in at.warning)
    assert "网络 2-128-128-2 有 17.2 k 个参数，上限为 10 k" in warning


def test_registry_shapes_are_known_without_loading_and_match_the_loaded_data():
    from dropviz.data import dataset_shape, load_dataset

    for name in ("moons", "circles", "spiral", "xor", "blobs", "digits"):
        data = load_dataset(name)
        assert dataset_shape(name) == (data.n_features, data.n_classes), name
    assert dataset_shape("fashion-mnist") == (784, 10) and dataset_shape("my.csv") is None


def test_a_p_sweep_counts_every_member_network():
    # 2-10-2 swept over 3 members: 3 nets x 52 x (weights, grads, momentum, one copy) = 624;
    # batch 32 x 14 units x 4 floats x 3 nets = 5376; eval 122880; states 41 x 3 x 256 x 10 = 314880
    config = RunConfig(hidden=(10,), batch_size=32)
    sweep = estimate_run(config, 2, 2, sweep_members=3)
    assert (sweep.n_networks, sweep.checked_parameters) == (3, 3 * 52)
    assert sweep.memory_bytes == 4 * (624 + 5376 + 122880 + 314880)
    limits = RunLimits(max_parameters=100_000)
    demo = RunConfig()  # 2-128-128-2: 17.2 k parameters alone, 172 k as a sweep of 10
    assert check_run(demo, 2, 2, limits).n_parameters == 17_154
    with pytest.raises(RunTooLarge, match="this p sweep's 10 networks 2-128-128-2 have 172 k parameters together"):
        check_run(demo, 2, 2, limits, sweep_members=10)


def test_a_sweep_networks_count_includes_a_twin_of_its_own():
    from dropviz.keep_sweep import DEFAULT_KEEP_GRID, sweep_networks

    assert sweep_networks(RunConfig(), DEFAULT_KEEP_GRID) == 10  # the p = 1.0 member is the twin
    assert sweep_networks(RunConfig(keep_p_input=0.8), DEFAULT_KEEP_GRID) == 11
    assert sweep_networks(RunConfig(), (0.2, 0.4)) == 3


@pytest.mark.parametrize("language", ["en", "zh"])
def test_playground_counts_the_p_sweep_against_the_limits(monkeypatch, language):
    monkeypatch.setenv("DROPVIZ_MAX_PARAMETERS", "100000")
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = language
    at.run()
    assert not at.exception and not at.warning  # the lone run (17.2 k parameters) fits
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update({"lang": language, "sweep": "1"})
    at.run()
    assert not at.exception
    warning = "\n".join(w.value for w in at.warning)
    expected = {
        "en": ("the p sweep's 10 networks 2-128-128-2 have 172 k parameters together", "switch the p sweep off"),
        "zh": ("p 扫描的 10 个网络 2-128-128-2 共有 172 k 个参数，上限为 100 k", "关闭 p 扫描"),
    }[language]
    assert all(text in warning for text in expected), warning
    assert at.button(key="pg_train").disabled
