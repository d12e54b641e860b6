"""English / 中文 text of the Experiments page: ``TEXT = {key: (en, zh)}``."""

TEXT = {
    "intro": (
        "Re-run the experiments of Srivastava et al. (2014) here, on any data set of the app, and see your "
        "numbers beside the paper's. The paper's values are MNIST test errors (read off its figures where "
        "marked ≈); yours come from the data set and preset you choose, so compare shapes, not levels.",
        "在这里重跑 Srivastava 等 (2014) 的实验，可选任意数据集，并与论文的数值并排比较。论文数值是 MNIST "
        "测试错误率（标 ≈ 的从图中读出）；你的结果来自所选数据集和预设，请比较趋势而不是绝对值。",
    ),
    "experiment": ("Experiment", "实验"),
    "dataset": ("Data set", "数据集"),
    "preset": ("Preset", "预设"),
    "engine": ("Engine", "执行引擎"),
    "workers": ("Parallel trials (workers)", "并行试验数（worker）"),
    "ray_configured": (
        "Runs on the Ray cluster configured for this server: `{address}`",
        "将在为本服务器配置的 Ray 集群上运行：`{address}`",
    ),
    "ray_local": (
        "No Ray cluster is configured for this server: Ray starts locally, on this server. Whoever starts "
        "the app chooses the cluster (`DROPVIZ_RAY_ADDRESS=auto make run`); it is not set from a browser.",
        "本服务器未配置 Ray 集群：Ray 将在本服务器上本地启动。集群由启动应用的人指定"
        "（`DROPVIZ_RAY_ADDRESS=auto make run`），不能从浏览器设置。",
    ),
    "run_settings": ("Run settings", "运行设置"),
    "trials": (
        "{n} trials ({conditions} conditions × seeds) · results database: `{db}`",
        "{n} 个试验（{conditions} 个条件 × 种子）· 结果数据库：`{db}`",
    ),
    "run": ("Run in the background", "后台运行"),
    "cancel": ("Stop the sweep", "停止"),
    "busy": (
        "Another sweep is running on this server; try again when it has finished.",
        "服务器上已有实验在运行，请稍后再试。",
    ),
    "progress": (
        "{done}/{total} trials · {completed} run, {skipped} already in the database, {failed} failed, "
        "{running} running · {elapsed:.0f} s",
        "{done}/{total} 个试验 · 已运行 {completed}，数据库中已有 "
        "{skipped}，失败 {failed}，运行中 {running} · {elapsed:.0f} 秒",
    ),
    "finished": (
        "Sweep {status}: {completed} trials run, {skipped} already stored, {failed} failed.",
        "实验{status}：运行 {completed} 个，已存储 {skipped} 个，失败 {failed} 个。",
    ),
    "sweep_error": (
        "The sweep stopped with an error: {error}. Trials that finished before it are kept.",
        "实验因错误停止：{error}。之前完成的试验已保存。",
    ),
    "results": ("Results shown", "显示的结果"),
    "no_results": ("No results for this experiment yet: run it above.", "该实验还没有结果：请在上方运行。"),
    "shipped": ("shipped quick results · {dataset} · {n} trials", "随附的 quick 结果 · {dataset} · {n} 个试验"),
    "saved": (
        "saved sweep · {preset} · {dataset} · {completed}/{n} trials done · {last}",
        "已保存 · {preset} · {dataset} · 完成 {completed}/{n} · {last}",
    ),
    "paper_label": (
        "Right panel: the paper's values on MNIST ({note}). Left: this run on {dataset}.",
        "右图：论文在 MNIST 上的数值（{note}）。左图：本次在 {dataset} 上的结果。",
    ),
    "table": (
        "Table (mean ± std over seeds; the paper's column is MNIST)",
        "表格（多个种子的均值 ± 标准差；论文一列为 MNIST）",
    ),
    "download_summary": ("Download table (CSV)", "下载表格（CSV）"),
    "download_trials": ("Download every trial (CSV)", "下载全部试验（CSV）"),
    "preset_note": ("What this preset changes relative to the paper", "该预设相对论文的改动"),
    "db_error": ("The results database could not be read: {error}", "无法读取结果数据库：{error}"),
    "failed_trials": (
        "{n} trial(s) failed; their errors are in the trial CSV.",
        "{n} 个试验失败，错误信息见试验 CSV。",
    ),
    "incomplete": (
        "{n} trial(s) of this sweep are not finished yet; run it again to complete them.",
        "该实验有 {n} 个试验尚未完成；再次运行即可补全。",
    ),
    # what each experiment shows (dropviz.experiments.EXPERIMENTS)
    "desc.table2": (
        "Final test error of each kind of net (the paper's Table 2, plus Gaussian dropout and DropConnect rows).",
        "每种网络的最终测试错误率（论文表 2，另加高斯 Dropout 与 DropConnect 两行）。",
    ),
    "desc.fig4": (
        "Test error against weight updates for every architecture, with and without dropout.",
        "每种网络结构在有无 Dropout 时测试错误率随权重更新次数的变化。",
    ),
    "desc.fig9a": (
        "Train and test error against p for a 3-hidden-layer net of fixed width (no input dropout).",
        "固定宽度的 3 隐藏层网络的训练与测试错误率随 p 的变化（输入不做 Dropout）。",
    ),
    "desc.fig9b": (
        "Train and test error against p when the expected number of kept units p x n is fixed.",
        "保留单元的期望个数 p × n 固定时，训练与测试错误率随 p 的变化。",
    ),
    "desc.fig10": (
        "Test error against the number of training examples (random stratified subsets).",
        "测试错误率随训练样本数的变化（随机分层子集）。",
    ),
    "desc.fig11": (
        "Test error of the average of k sampled thinned nets against k, and of the weight-scaled net.",
        "k 个采样子网络平均后的测试错误率随 k 的变化，以及权重缩放网络的测试错误率。",
    ),
    "desc.gaussian": (
        "Bernoulli dropout against Gaussian dropout with the same mean and variance, several seeds.",
        "伯努利 Dropout 与均值、方差相同的高斯 Dropout 对比，多个种子。",
    ),
}
