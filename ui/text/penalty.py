"""English / 中文 of the penalty figure's curves, shared by the Lecture and Theory pages (each keeps its own title)."""

PENALTY_TEXT = {
    "pen_max": ("maximum at p = 0.5", "在 p = 0.5 取最大值"),
    "pen_train": ("p(1 − p): on training weights w", "p(1 − p)：作用于训练权重 w"),
    "pen_test": ("(1 − p)/p: on test weights p·w", "(1 − p)/p：作用于测试权重 p·w"),
}
