"""Text of ui/analysis_run.py (where an analysis page's run comes from): ``TEXT = {key: (english, chinese)}``."""

TEXT = {
    "src_playground": (
        "Analysing your **Playground run** ({what}), step {step}, state: {state}.",
        "正在分析你的**训练场运行**（{what}），第 {step} 步，状态：{state}。",
    ),
    "src_default": (
        "No Playground run in this session yet, so this page trained a small **built-in example** "
        "({what}, {epochs} epochs). Train your own on the Playground and come back.",
        "本会话还没有训练场运行，因此本页训练了一个小的**内置示例**（{what}，{epochs} 轮）。"
        "可以先在训练场训练自己的网络再回来。",
    ),
    "use_default": ("Use the built-in example instead", "改用内置示例"),
    "to_playground": ("Go to the Playground", "前往训练场"),
    "training_default": (
        "Training the built-in example (a few seconds, once per server)...",
        "正在训练内置示例（几秒钟，每个服务器只需一次）……",
    ),
    "no_twin": (
        "This run has no no-dropout twin, so there is nothing to compare with; switch the twin on in the Playground.",
        "该运行没有无 Dropout 对照网络，无法比较；请在训练场打开对照。",
    ),
}
