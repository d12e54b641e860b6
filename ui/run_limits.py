"""The web app's limits on what one run may cost (stricter than the CLI's: anyone with the link trains here).

Set by whoever runs the server: ``DROPVIZ_MAX_PARAMETERS`` (per network, default
4 M: a 784-1024-1024-10 net is 1.86 M) and ``DROPVIZ_MAX_RUN_MB`` (estimated
memory of one run with the snapshots the views keep, default 1536). The check
itself is :func:`dropviz.limits.check_run`.
"""

from __future__ import annotations

from dropviz.config import RunConfig
from dropviz.data import dataset_shape
from dropviz.limits import RunLimits, RunTooLarge, check_run, format_bytes, format_count
from ui.i18n import translator
from ui.server_settings import env_int

MAX_PARAMETERS_ENV = "DROPVIZ_MAX_PARAMETERS"
MAX_RUN_MB_ENV = "DROPVIZ_MAX_RUN_MB"
DEFAULT_MAX_PARAMETERS = 4_000_000
DEFAULT_MAX_RUN_MB = 1536

TEXT = {
    "too_large": (
        "This run is too large for this server: {problems}. Use fewer or narrower hidden layers. "
        "(The server's limits are set by whoever runs it: `{env_parameters}`, `{env_memory}`.)",
        "该训练对本服务器来说太大：{problems}。请减少隐藏层数或每层单元数。"
        "（服务器限制由运行它的人设置：`{env_parameters}`、`{env_memory}`。）",
    ),
    "too_many_parameters": (
        "the network {architecture} has {size} parameters, the limit is {limit}",
        "网络 {architecture} 有 {size} 个参数，上限为 {limit}",
    ),
    "too_much_memory": ("it needs about {size} of memory, the limit is {limit}", "约需 {size} 内存，上限为 {limit}"),
    "too_many_parameters_sweep": (
        "the p sweep's {n} networks {architecture} have {size} parameters together, the limit is {limit}",
        "p 扫描的 {n} 个网络 {architecture} 共有 {size} 个参数，上限为 {limit}",
    ),
    "sweep_hint": (
        " Or switch the p sweep off: it trains {n} networks at once.",
        "或关闭 p 扫描：它同时训练 {n} 个网络。",
    ),
}


def web_run_limits() -> RunLimits:
    return RunLimits(
        max_parameters=env_int(MAX_PARAMETERS_ENV, DEFAULT_MAX_PARAMETERS),
        max_memory_bytes=env_int(MAX_RUN_MB_ENV, DEFAULT_MAX_RUN_MB) * (1 << 20),
        source=f"{MAX_PARAMETERS_ENV}, {MAX_RUN_MB_ENV}",
    )


def run_size_problem(config: RunConfig, dataset, sweep_members: int = 0) -> str | None:
    """Why this run may not train on this server (both limits named, with the run's size), or None.

    ``dataset``: an uploaded CSV's Dataset; registry data sets are sized without loading them.
    ``sweep_members`` > 0: the run is a p sweep of that many networks (parameters and memory times that).
    """
    t = translator(TEXT)
    shape = (dataset.n_features, dataset.n_classes) if dataset is not None else dataset_shape(config.dataset)
    if shape is None:
        return None
    try:
        check_run(config, *shape, web_run_limits(), sweep_members=sweep_members)
    except RunTooLarge as error:
        cost, limits = error.cost, error.limits
        problems = []
        if "parameters" in error.over and cost.sweep_members:
            problems.append(
                t(
                    "too_many_parameters_sweep",
                    n=cost.n_networks,
                    architecture=cost.architecture,
                    size=format_count(cost.checked_parameters),
                    limit=format_count(limits.max_parameters),
                )
            )
        elif "parameters" in error.over:
            problems.append(
                t(
                    "too_many_parameters",
                    architecture=cost.architecture,
                    size=format_count(cost.n_parameters),
                    limit=format_count(limits.max_parameters),
                )
            )
        if "memory" in error.over:
            problems.append(
                t("too_much_memory", size=format_bytes(cost.memory_bytes), limit=format_bytes(limits.max_memory_bytes))
            )
        message = t(
            "too_large", problems="; ".join(problems), env_parameters=MAX_PARAMETERS_ENV, env_memory=MAX_RUN_MB_ENV
        )
        return message + (t("sweep_hint", n=cost.n_networks) if cost.sweep_members else "")
    return None
