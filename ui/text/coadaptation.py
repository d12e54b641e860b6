"""English / 中文 text of the Co-adaptation page: ``TEXT = {key: (en, zh)}``."""

TEXT = {
    "intro": (
        "Hinton et al. motivate dropout by **co-adaptation**: hidden units that are only useful together. "
        "Nothing measures co-adaptation directly, so this page shows several measures of the current run next to "
        "its no-dropout twin (same initial weights, same mini-batches) and says what each one shows here — "
        "including when they disagree.",
        "Hinton 等人用**共适应**来解释 Dropout：隐藏单元只在彼此配合时才有用。共适应无法直接测量，"
        "因此本页把当前运行与其无 Dropout 对照网络（相同初始权重、相同小批量）的多种度量并排展示，"
        "并如实说明每种度量在这里显示了什么——包括它们互相矛盾的时候。",
    ),
    "layer": ("Hidden layer", "隐藏层"),
    "method": ("{method} (keep p={keep})", "{method}（保留概率 p={keep}）"),
    "twin": ("no-dropout twin", "无 Dropout 对照"),
    "h_corr": ("Correlation of hidden units", "隐藏单元的相关性"),
    "corr_caption": (
        "Pearson correlation of {k} units (a fixed random subset of {n}) over {m} probe test examples, ordered by "
        "hierarchical clustering (average linkage on 1 - |r|) of the last frame; the order is kept over training, "
        "so blocks of co-varying units can be watched forming. Blank rows: units constant on the probe (dead). "
        "Press ▶ or drag the slider to replay training.",
        "{n} 个单元中固定随机抽取的 {k} 个单元在 {m} 个探针测试样本上的 Pearson 相关系数，按最后一帧的层次聚类"
        "（基于 1 - |r| 的平均链接）排序；整个训练过程保持同一顺序，便于观察共变单元块的形成。空白行：在探针上恒定（死亡）的单元。"
        "点击 ▶ 或拖动滑块回放训练。",
    ),
    "step": ("step", "步"),
    "h_scalar": ("Scalar measures over training", "训练过程中的标量度量"),
    "scalar_caption": (
        "Computed on the probe activations of each snapshot. DeCov (Cogswell et al. 2016) = ½ (‖C‖²_F − ‖diag C‖²) "
        "of the activation covariance C: it grows with the activation scale (×s → ×s⁴), so a net with larger "
        "activations gets a larger DeCov without being more co-adapted; normalized DeCov is the same on "
        "standardized activations per pair of units (= mean r²).",
        "在每个快照的探针激活上计算。DeCov（Cogswell 等，2016）= ½(‖C‖²_F − ‖diag C‖²)，C 为激活的协方差："
        "它随激活尺度增长（×s → ×s⁴），激活更大的网络 DeCov 更大，却不一定更共适应；归一化 DeCov 是在标准化激活上"
        "按单元对平均的同一量（= r² 的均值）。",
    ),
    "mean_abs_corr": ("mean |r| (off-diagonal)", "平均 |r|（非对角）"),
    "decov": ("DeCov", "DeCov"),
    "decov_normalized": ("normalized DeCov", "归一化 DeCov"),
    "zero_fraction": ("fraction of exact zeros", "精确为零的比例"),
    "dead_units": ("dead units", "死亡单元数"),
    "mean_activation": ("mean activation", "平均激活"),
    "no_history": (
        "This run has no snapshots over training yet; the figures show the current weights only.",
        "该运行还没有训练过程快照；图中只显示当前权重。",
    ),
    "h_now": ("Now, on {m} test examples", "当前，基于 {m} 个测试样本"),
    "measure": ("measure", "度量"),
    "h_ablation": (
        "Unit ablation: remove a fraction q of the layer's units at test time",
        "单元消融：测试时移除该层比例为 q 的单元",
    ),
    "ablation_caption": (
        "For each q, {draws} random sets of units are removed (the same sets for both nets), the remaining units are "
        "multiplied by n / n_remaining, and the test error on {m} examples is averaged (bars: sd over draws). "
        "A net whose units only work together collapses as q grows; a dropout net was trained on exactly this.",
        "对每个 q，随机移除 {draws} 组单元（两个网络相同），其余单元乘以 n / n_剩余，并在 {m} 个样本上平均测试误差"
        "（误差棒：各次抽取的标准差）。单元只能协同工作的网络会随 q 增大而崩溃；Dropout 网络正是针对这种情况训练的。",
    ),
    "draws": ("draws per q", "每个 q 的抽取次数"),
    "q": ("fraction q of units removed", "移除单元的比例 q"),
    "error": ("test error", "测试误差"),
    "h_stats": (
        "Activation statistics (cf. the paper's Fig. 8, an autoencoder there)",
        "激活统计（参见论文图 8，那里是自编码器）",
    ),
    "hist_a": ("hidden activations (log scale)", "隐藏激活（对数刻度）"),
    "clustered_units": ("units (clustered)", "单元（已聚类）"),
    "fraction": ("fraction", "比例"),
    "units": ("units", "单元"),
    "hist_b": ("per-unit mean activation", "每个单元的平均激活"),
    "h_features": (
        "Learned first-layer features (cf. the paper's Fig. 7, an autoencoder there)",
        "学到的第一层特征（参见论文图 7，那里是自编码器）",
    ),
    "features_caption": (
        "Incoming weights of hidden units 0–{k} drawn as {h}×{w} images (red +, blue −, each scaled to its own max). "
        "Both nets started from the same weights, so the same tile is the same unit's initial feature changed by "
        "each training.",
        "隐藏单元 0–{k} 的输入权重画成 {h}×{w} 图像（红为正、蓝为负，各自按最大值缩放）。两个网络从相同的权重出发，"
        "因此同一位置的小图是同一个单元的初始特征被两种训练分别改变后的样子。",
    ),
    "h_explain": ("What the measures show on this run", "这些度量在本次运行上显示了什么"),
    "lower": ("lower", "更低"),
    "higher": ("higher", "更高"),
    "similar": ("about the same", "差不多"),
    "undefined": ("undefined", "无定义"),
    "ex_corr": (
        "Mean |r| is {d} for the dropout net ({a:.3f} vs {b:.3f} for the twin).",
        "Dropout 网络的平均 |r| {d}（{a:.3f}，对照为 {b:.3f}）。",
    ),
    "ex_decov": (
        "DeCov is {d} ({a:.3g} vs {b:.3g}); normalized DeCov is {d2} ({a2:.3f} vs {b2:.3f}).",
        "DeCov {d}（{a:.3g} 对 {b:.3g}）；归一化 DeCov {d2}（{a2:.3f} 对 {b2:.3f}）。",
    ),
    "ex_scale": (
        "The mean activations differ ({a:.3g} vs {b:.3g}), so the raw DeCov partly measures scale; "
        "trust the normalized one for the comparison.",
        "两者平均激活不同（{a:.3g} 对 {b:.3g}），因此原始 DeCov 部分反映的是尺度；比较时应以归一化 DeCov 为准。",
    ),
    "ex_sparse": (
        "Exact zeros: {a:.0%} vs {b:.0%}; dead units: {da} vs {db} of {n}.",
        "精确零值：{a:.0%} 对 {b:.0%}；死亡单元：{da} 对 {db}（共 {n} 个）。",
    ),
    "ex_ablation": (
        "Removing half of the units changes the test error by {a:+.1%} for the dropout net and by "
        "{b:+.1%} for the twin (from {a0:.1%} and {b0:.1%}).",
        "移除一半单元后，Dropout 网络的测试误差变化 {a:+.1%}，对照网络变化 {b:+.1%}（原为 {a0:.1%} 和 {b0:.1%}）。",
    ),
    "ex_agree_func": (
        "Here the functional measure agrees with the correlation: the dropout net both correlates less "
        "and relies less on any particular set of units.",
        "在这里功能性度量与相关性一致：Dropout 网络相关性更低，也更不依赖任何特定的单元组合。",
    ),
    "ex_disagree": (
        "Here the measures do not tell one story: the dropout net degrades {f} when units are removed, "
        "while its mean |r| is {d}. Correlation is a statistical summary of activations; ablation measures "
        "reliance. Neither is 'the' co-adaptation — both are shown as measured.",
        "在这里各度量并不一致：移除单元时 Dropout 网络的退化{f}，而其平均 |r| {d}。相关性是激活的统计摘要，"
        "消融衡量的是依赖程度。两者都不是“唯一的”共适应度量——这里按实测结果展示。",
    ),
    "more_gracefully": ("more gracefully", "更平缓"),
    "less_gracefully": ("not more gracefully", "并不更平缓"),
    "ex_early": (
        "The run is at step {step}: measures early in training mostly reflect the initial weights.",
        "该运行位于第 {step} 步：训练初期的度量主要反映初始权重。",
    ),
    "ex_none": (
        "The method net has no unit noise (method 'none' or keep p = 1), so it is not a dropout net; "
        "differences from the twin are only noise.",
        "该方法网络没有单元噪声（方法为 none 或 p = 1），不是 Dropout 网络；与对照的差别只是随机性。",
    ),
}
