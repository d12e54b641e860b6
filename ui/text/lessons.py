"""English / 中文 of the Playground's Lessons (dropviz/lessons.py holds their settings):
``LESSON_TEXT = {key: ((title_en, title_zh), (what it shows, en), (zh))}``."""

LESSON_TEXT = {
    "overfitting": (
        ("Overfitting vs dropout", "过拟合 vs Dropout"),
        (
            "40 noisy points, a wide 2-layer net: the twin memorises the noise (its test loss climbs), dropout p = 0.5 keeps a smooth boundary.",
            "40 个带噪声的点、宽的两层网络：无 Dropout 的对照网络记住了噪声（测试损失上升），p = 0.5 的 Dropout 保持平滑的边界。",
        ),
    ),
    "slide_p": (
        ("Slide p", "滑动 p"),
        (
            "The default demo trained at every keep probability 0.1 … 1.0 at once: scrub p and watch the boundary, the curves and the p-response chart (this data's, not the paper's) go from under- to over-fitting.",
            "默认示例同时以 0.1 … 1.0 的每个保留概率训练：拖动 p，看决策边界、曲线和 p 响应图（这份数据的，不是论文的）从欠拟合走到过拟合。",
        ),
    ),
    "small_p": (
        ("p too small under-fits", "p 太小会欠拟合"),
        (
            "Keep only 10 % of the hidden units: training and test error both stay high — too much noise.",
            "只保留 10% 的隐藏单元：训练误差和测试误差都降不下来——噪声太大。",
        ),
    ),
    "dropconnect": (
        ("Dropout vs DropConnect", "Dropout vs DropConnect"),
        (
            "DropConnect drops single weights instead of whole units; watch the dotted connections in the network view.",
            "DropConnect 丢弃单个权重而不是整个单元；看网络图中的虚线连接。",
        ),
    ),
    "gaussian": (
        ("Gaussian vs Bernoulli", "高斯 vs 伯努利"),
        (
            "Multiply units by N(1, (1−p)/p) noise instead of 0/1: same mean and variance, similar regularization.",
            "用 N(1, (1−p)/p) 的噪声代替 0/1 掩码：均值和方差相同，正则化效果相近。",
        ),
    ),
    "digits": (
        ("8×8 digits", "8×8 手写数字"),
        (
            "Real images: 300 training digits, a 256-256 net; dropout on inputs (0.8) and hidden units (0.5).",
            "真实图像：300 张训练数字、256-256 网络；输入保留 0.8、隐藏单元保留 0.5。",
        ),
    ),
}
