"""English / 中文 text of the Playground page: ``TEXT = {key: (en, zh)}``."""

TEXT = {
    "intro": (
        "Pick the keep probability p, a method and an architecture, press **Train**, and watch a network "
        "with dropout and its no-dropout twin (same initial weights, same mini-batches) learn side by side.",
        "选择保留概率 p、方法和网络结构，按 **训练**，看带 Dropout 的网络和它的无 Dropout 对照网络"
        "（相同的初始权重、相同的小批量）并排学习。",
    ),
    # sidebar sections
    "sec_presets": ("Lessons", "课堂预设"),
    "sec_data": ("Data", "数据"),
    "sec_arch": ("Architecture", "网络结构"),
    "sec_method": ("Regularization", "正则化"),
    "sec_opt": ("Optimization", "优化"),
    "preset_link": ("link", "链接"),
    # data
    "dataset": ("Data set", "数据集"),
    "dataset_help": (
        "2D toys are generated in-process; digits ship with scikit-learn; MNIST / Fashion-MNIST appear "
        "when their files are on the server; or upload your own CSV.",
        "二维玩具数据在本地生成；手写数字随 scikit-learn 提供；服务器上有 MNIST / Fashion-MNIST "
        "文件时才会出现；也可以上传自己的 CSV。",
    ),
    "ds_moons": ("moons (2D)", "双月（二维）"),
    "ds_circles": ("circles (2D)", "同心圆（二维）"),
    "ds_spiral": ("spiral (2D)", "螺旋（二维）"),
    "ds_xor": ("xor (2D)", "异或（二维）"),
    "ds_blobs": ("blobs, 3 classes (2D)", "三团点，3 类（二维）"),
    "ds_digits": ("8×8 digits", "8×8 手写数字"),
    "ds_mnist": ("MNIST", "MNIST"),
    "ds_fashion-mnist": ("Fashion-MNIST", "Fashion-MNIST"),
    "ds_csv": ("CSV upload…", "上传 CSV…"),
    "csv_file": ("CSV file (numeric features + a label column)", "CSV 文件（数值特征 + 一列标签）"),
    "csv_help": (
        "The label column is the one named label/class/target/y, else the last. 25 % of rows are the test set. "
        "An uploaded file is not part of the link.",
        "标签列为名为 label/class/target/y 的列，否则为最后一列。25% 的行作为测试集。上传的文件不包含在链接中。",
    ),
    "csv_needed": ("Upload a CSV file in the sidebar to train on it.", "请在侧边栏上传 CSV 文件后再训练。"),
    "csv_error": ("This CSV cannot be used: {error}", "无法使用该 CSV：{error}"),
    "data_error": ("This data set cannot be loaded: {error}", "无法加载该数据集：{error}"),
    "noise": ("Noise (2D data)", "噪声（二维数据）"),
    "train_size": ("Training examples", "训练样本数"),
    "train_size_default": ("default: 40 (2D toys), all (images)", "默认：40（二维数据），全部（图像）"),
    "train_size_help": (
        "Few examples + a big network = overfitting, which is what dropout fights.",
        "样本少 + 网络大 = 过拟合，这正是 Dropout 要对付的。",
    ),
    # architecture
    "hidden": ("Hidden layers (units per layer, comma-separated)", "隐藏层（每层单元数，逗号分隔）"),
    "hidden_help": (
        "e.g. 128,128 = two hidden layers of 128 units; 1 to 6 layers of 1 to 8192.",
        "例如 128,128 表示两层各 128 个单元；1 到 6 层，每层 1 到 8192 个。",
    ),
    "activation": ("Activation", "激活函数"),
    "act_relu": ("ReLU", "ReLU"),
    "act_logistic": ("logistic (sigmoid)", "logistic（sigmoid）"),
    "act_tanh": ("tanh", "tanh"),
    # method
    "method": ("Method", "方法"),
    "m_none": ("none", "无"),
    "m_dropout": ("dropout (Bernoulli)", "Dropout（伯努利）"),
    "m_gaussian": ("Gaussian dropout", "高斯 Dropout"),
    "m_dropconnect": ("DropConnect", "DropConnect"),
    "scaling": ("Implementation", "实现方式"),
    "s_inverted": ("inverted (scale ×1/p while training)", "inverted（训练时 ×1/p）"),
    "s_weight-scaling": ("weight scaling (×p at test time, the paper)", "权重缩放（测试时 ×p，论文做法）"),
    "keep_p": ("keep probability p (paper)", "保留概率 p（论文）"),
    "keep_p_help": (
        "The paper's p is the probability of KEEPING a unit. PyTorch's nn.Dropout(p) takes the probability "
        "of DROPPING it, so the same setting is nn.Dropout(p=1−p).",
        "论文中的 p 是“保留”一个单元的概率；PyTorch 的 nn.Dropout(p) 接收的是“丢弃”概率，"
        "所以同一设置是 nn.Dropout(p=1−p)。",
    ),
    "torch_equiv": ("= PyTorch `nn.Dropout(p={p})`", "= PyTorch `nn.Dropout(p={p})`"),
    "keep_p_input": ("keep probability of inputs", "输入的保留概率"),
    "keep_p_input_help": (
        "Dropout: the probability of keeping each input feature. DropConnect: the keep "
        "probability of the first weight matrix's mask (the weights from the inputs).",
        "Dropout：保留每个输入特征的概率。DropConnect：第一个权重矩阵（来自输入的权重）掩码的保留概率。",
    ),
    "max_norm": ("max-norm c (empty = off)", "max-norm 约束 c（留空 = 关闭）"),
    "max_norm_help": (
        "After every step, rescale each hidden unit's incoming weight vector to norm ≤ c, with c the "
        "paper's: it bounds the training-time weights W′ that act on the thinned units. Inverted "
        "scaling stores W = p·W′, so its rows are held to p·c; weight scaling holds W′ itself to c. "
        "The same c gives the same net either way.",
        "每步后把每个隐藏单元的输入权重向量缩放到范数 ≤ c，c 取论文的含义：它约束作用在被丢弃后单元上的训练时权重 W′。"
        "反向缩放存储的是 W = p·W′，所以其各行被限制在 p·c；权重缩放直接把 W′ 限制在 c。"
        "两种实现用同一个 c 得到同一个网络。",
    ),
    "dropconnect_mask": ("DropConnect masks", "DropConnect 掩码"),
    "dc_per-example": ("one per example", "每个样本一个"),
    "dc_per-batch": ("one per mini-batch", "每个小批量一个"),
    "twin": ("compare with a no-dropout twin", "与无 Dropout 的对照网络比较"),
    # optimization
    "optimizer": ("Optimizer", "优化器"),
    "o_sgd": ("SGD + momentum", "SGD + 动量"),
    "o_adam": ("Adam", "Adam"),
    "lr": ("Learning rate", "学习率"),
    "momentum": ("Momentum (SGD)", "动量（SGD）"),
    "batch_size": ("Batch size", "批量大小"),
    "epochs": ("Epochs", "训练轮数"),
    "seed": ("Seed", "随机种子"),
    # controls
    "train": ("Train", "训练"),
    "pause": ("Pause", "暂停"),
    "step": ("Step", "单步"),
    "stop": ("Stop", "停止"),
    "reset": ("Reset", "重置"),
    "train_help": ("Start (or resume) training in the background.", "在后台开始（或继续）训练。"),
    "step_help": ("Train exactly one mini-batch, then pause.", "只训练一个小批量，然后暂停。"),
    "speed": ("Speed (steps per refresh)", "速度（每次刷新的步数）"),
    "speed_help": (
        "The views refresh every {seconds} s while training; this caps how many mini-batches train "
        "between refreshes. Changing it does not reset the run.",
        "训练时视图每 {seconds} 秒刷新一次；这里限制两次刷新之间训练的小批量数。修改它不会重置训练。",
    ),
    "speed_max": ("max", "最快"),
    # status
    "state_idle": ("Ready: press Train.", "就绪：请按“训练”。"),
    "state_queued": ("Queued", "排队中"),
    "state_starting": ("Starting…", "正在启动……"),
    "state_running": ("Training", "训练中"),
    "state_paused": ("Paused", "已暂停"),
    "state_completed": ("Completed", "已完成"),
    "state_stopped": ("Stopped", "已停止"),
    "state_diverged": ("Diverged", "发散"),
    "state_error": ("Error", "错误"),
    "progress": (
        "{state} · epoch {epoch:.0f} / {epochs} · step {step} / {total} · {rate:,.0f} samples/s",
        "{state} · 第 {epoch:.0f} / {epochs} 轮 · 第 {step} / {total} 步 · 每秒 {rate:,.0f} 个样本",
    ),
    "queued": (
        "Waiting for a free trainer: position {position} in the queue. Your run starts by itself "
        "as soon as one frees up; keep this tab open.",
        "正在等待空闲的训练进程：排在第 {position} 位。一有空位，训练会自动开始；请保持此标签页打开。",
    ),
    "reset_notice": (
        "Settings changed, so the previous run was stopped and reset.",
        "设置已更改，之前的训练已停止并重置。",
    ),
    "url_notice_title": (
        "Some settings in the link were not valid or not usable here, so they were changed "
        "(the address bar now holds the settings in use):",
        "链接中的部分设置无效或在此不可用，已作更改（地址栏现在是实际使用的设置）：",
    ),
    "widget_notice": (
        "A setting is not valid, the default is used instead: {problem}",
        "设置无效，已改用默认值：{problem}",
    ),
    "dataset_unavailable": (
        "URL setting ignored, default {default} used instead. dataset: {value!r} is not available "
        "on this server (available: {choices})",
        "已忽略链接中的设置，改用默认值 {default}。dataset：本服务器上没有 {value!r}（可用：{choices}）",
    ),
    "speed_bad": (
        "URL setting ignored, default max used instead. speed: {value!r} (allowed: {choices})",
        "已忽略链接中的设置，改用默认值 max。speed：{value!r}（允许：{choices}）",
    ),
    "run_message": ("Run message: {message}", "训练信息：{message}"),
    # views
    "v_curves": ("Learning curves", "学习曲线"),
    "v_network": ("Masked network", "被掩码的网络"),
    "v_network_caption": (
        "Line width = |w|, colour = sign (red +, blue −). Grey ✕ = unit dropped in this mini-batch, "
        "dotted grey = connection dropped. Pause to replay the last {n} recorded masks with ▶ and the slider.",
        "线宽 = |w|，颜色 = 符号（红 +，蓝 −）。灰色 ✕ = 该小批量中被丢弃的单元，"
        "灰色虚线 = 被丢弃的连接。暂停后可用 ▶ 和滑块回放最近 {n} 个记录的掩码。",
    ),
    "v_network_none": (
        "The twin has no masks: choose a method other than none to see dropped units.",
        "方法为“无”时没有掩码：选择其他方法即可看到被丢弃的单元。",
    ),
    "v_mask": ("Mask on one weight matrix", "一个权重矩阵上的掩码"),
    "v_mask_caption": (
        "The same keep probability p = {p}: dropout removes whole rows (outputs) and columns (inputs) of W; "
        "DropConnect removes single entries.",
        "相同的保留概率 p = {p}：Dropout 删掉 W 的整行（输出）和整列（输入）；DropConnect 删掉单个元素。",
    ),
    "v_boundary": ("Decision boundary", "决策边界"),
    "v_images": ("Test images and predictions", "测试图像与预测"),
    "v_waiting": ("Press **Train** (or **Step**) to see live views.", "按 **训练**（或 **单步**）查看实时视图。"),
    "v_no_2d": ("The decision boundary is drawn for 2D data sets only.", "只有二维数据集才画决策边界。"),
    "downloads": ("Download", "下载"),
    "dl_csv": ("metrics (CSV)", "指标（CSV）"),
    "dl_json": ("settings (JSON)", "设置（JSON）"),
    "share": (
        "Share this experiment: copy the address bar — it holds every setting.",
        "分享这个实验：复制地址栏即可，其中包含所有设置。",
    ),
    "final_table": ("Latest evaluation", "最近一次评估"),
    # figure labels
    "f_method": ("with {method}", "使用 {method}"),
    "f_baseline": ("no-dropout twin", "无 Dropout 对照"),
    "f_train": ("train", "训练"),
    "f_test": ("test", "测试"),
    "f_loss": ("cross-entropy loss", "交叉熵损失"),
    "f_error": ("error rate", "错误率"),
    "f_epoch": ("epoch", "轮次"),
    "f_gap": ("generalization gap (test − train loss)", "泛化差距（测试损失 − 训练损失）"),
    "f_no_data": ("no evaluation yet", "尚无评估"),
    "f_kept": ("kept", "保留"),
    "f_dropped": ("dropped", "丢弃"),
    "f_input": ("input", "输入"),
    "f_hidden": ("hidden", "隐藏层"),
    "f_output": ("output", "输出"),
    "f_shown": ("{shown} of {total} shown", "显示 {shown} / {total}"),
    "f_play": ("▶ play", "▶ 播放"),
    "f_step": ("step", "步"),
    "f_mask_dropout": ("dropout: whole rows and columns", "Dropout：整行和整列"),
    "f_mask_dropconnect": ("DropConnect: independent entries", "DropConnect：独立的元素"),
    "f_sub_networks": ("{text} sub-networks", "{text} 个子网络"),
    "f_to_unit": ("to unit", "到单元"),
    "f_from_unit": ("from unit", "来自单元"),
    "f_pred": ("pred", "预测"),
    "f_twin_pred": ("twin", "对照"),
    # page-level controls (ui/playground_controls.py)
    "present": ("Presenter mode", "演示模式"),
    "present_help": (
        "For a projector: the sidebar folds away, the keep-p slider, the p scrub and Train / Pause / Step "
        "sit above the charts, chart text is 1.3× larger. In the link as ?present=1. Keyboard: Space = "
        "Train / Pause, → = Step (when no text box or slider has the focus).",
        "用于投影：侧边栏收起，保留概率滑块、p 滑动浏览和 训练 / 暂停 / 单步 位于图表上方，图中文字放大 1.3 倍。"
        "链接中为 ?present=1。键盘：空格 = 训练 / 暂停，→ = 单步（焦点不在文本框或滑块上时）。",
    ),
    "keys_help": ("Keyboard: **Space** = Train / Pause, **→** = Step.", "键盘：**空格** = 训练 / 暂停，**→** = 单步。"),
    "sweep": ("p sweep", "p 扫描"),
    "sweep_help": (
        "Train the same network at every keep probability of the grid (0.1 … 1.0 for hidden units; the input "
        "keep probability as set), all from the same initial weights and the same mini-batches; p = 1.0 is the "
        "no-dropout twin. Then scrub p to switch every view to that member, with no retraining.",
        "在网格中的每个保留概率（隐藏单元 0.1 … 1.0；输入保留概率按设置）训练同一个网络，全部使用相同的初始权重和"
        "相同的小批量；p = 1.0 就是无 Dropout 的对照网络。然后拖动 p，所有视图切换到该成员，无需重新训练。",
    ),
    "scrub": ("scrub p: show the sweep member at keep probability", "拖动 p：显示保留概率为该值的扫描成员"),
    "scrub_help": (
        "Every view below (curves, boundary or images, masked network, mask matrix, metrics) shows the member "
        "trained at this p; while the sweep trains, each member as far as it has got.",
        "下面每个视图（曲线、决策边界或图像、被掩码的网络、掩码矩阵、指标）都显示以该 p 训练的成员；"
        "扫描训练期间显示每个成员当前的进度。",
    ),
    "present_keep_p": ("keep probability p (paper)", "保留概率 p（论文）"),
    "present_bad": (
        "URL setting ignored, presenter mode off. present: {value!r} (allowed: 1, 0)",
        "已忽略链接中的设置，演示模式关闭。present：{value!r}（允许：1、0）",
    ),
    "sweep_bad": (
        "URL setting ignored, p sweep off. sweep: {value!r} (allowed: 1, 0)",
        "已忽略链接中的设置，p 扫描关闭。sweep：{value!r}（允许：1、0）",
    ),
    "scrub_bad": (
        "URL setting ignored, the run's keep probability used instead. scrub_p: {value!r} (allowed: {choices})",
        "已忽略链接中的设置，改用训练的保留概率。scrub_p：{value!r}（允许：{choices}）",
    ),
    "sweep_slow": (
        "A p sweep of {n} members takes about **{seconds:.0f} s** here for these settings "
        "(the run itself trains on, whatever you choose).",
        "对于这些设置，{n} 个成员的 p 扫描在这里大约需要 **{seconds:.0f} 秒**（无论如何选择，训练本身照常进行）。",
    ),
    "sweep_start": ("Start the sweep", "开始扫描"),
    "sweep_coarse": ("Coarser grid ({n} values, ~{seconds:.0f} s)", "更粗的网格（{n} 个值，约 {seconds:.0f} 秒）"),
    "sweep_skip": ("Skip", "跳过"),
    "sweep_skipped": (
        "p sweep skipped for these settings; switch it off and on again to be asked again.",
        "这些设置下已跳过 p 扫描；关闭再打开即可重新选择。",
    ),
    "sweep_waiting": (
        "Press **Train** to train the sweep ({n} members, about {seconds:.0f} s).",
        "按 **训练** 开始扫描（{n} 个成员，约 {seconds:.0f} 秒）。",
    ),
    "sweep_progress": ("p sweep: {state} · step {step} / {total}", "p 扫描：{state} · 第 {step} / {total} 步"),
    "sweep_member": (
        "Showing the sweep member at **p = {keep_p}** (twin: the p = 1.0 member).",
        "显示 **p = {keep_p}** 的扫描成员（对照：p = 1.0 的成员）。",
    ),
    "v_response": ("p-response: your data, every p", "p 响应：你的数据，每个 p"),
    "v_response_caption": (
        "Figure 9a of the paper is this chart for MNIST; this is **this data's** curve (your data set, "
        "network and training length), not the paper's. Too small a p under-fits (both errors high); "
        "p = 1.0 (no dropout) can over-fit (train error low, test error higher).",
        "论文的图 9a 是 MNIST 上的这张图；这里是**这份数据**的曲线（你的数据集、网络和训练长度），"
        "不是论文的。p 太小会欠拟合（两个误差都高）；p = 1.0（无 Dropout）可能过拟合（训练误差低，测试误差更高）。",
    ),
    "v_strip": ("Decision boundary at every p", "每个 p 的决策边界"),
    "eval_subsample": (
        "While training, each point is measured on a fixed subsample ({train:,} training and {test:,} test "
        "examples) so that points come within seconds; the final point uses {final_train:,} and "
        "{final_test:,}. The grey line is the smoothed mini-batch loss, from the first step.",
        "训练期间每个点都在固定的子样本（{train:,} 个训练样本和 {test:,} 个测试样本）上测量，"
        "以便几秒内就有点；最后一个点使用 {final_train:,} 和 {final_test:,} 个。灰线是平滑后的小批量损失，从第一步开始。",
    ),
    "eval_shared": (
        "The server is shared (more pages open than runs it trains at once), so this run is measured every "
        "{every} steps rather than every epoch: {points:,} points, as many as the chart draws. Alone, a run "
        "is measured every epoch.",
        "服务器正被共享（打开的页面多于它同时训练的运行数），所以本次运行每 {every} 步测量一次，而不是每个 epoch："
        "共 {points:,} 个点，正好是图表能画出的数量。单独使用时，每个 epoch 测量一次。",
    ),
    "keep_change": ("p {old} → {new}", "p {old} → {new}"),
    "keep_change_input": ("input p {old} → {new}", "输入 p {old} → {new}"),
    "live_keep_p": (
        "Changing the keep probability while a run trains applies it from the next mini-batch (no reset; the "
        "curves mark the change). Other settings still reset the run.",
        "训练期间修改保留概率会从下一个小批量起生效（不重置；曲线上会标出修改）。其他设置仍会重置训练。",
    ),
    "live_keep_p_ws": (
        "Weight scaling: the test-time ×p uses the p in force now.",
        "权重缩放：测试时的 ×p 使用当前生效的 p。",
    ),
    "keep_applied": (
        "Keep probability changed to p = {keep_p} (input {keep_p_input}) from the next mini-batch; the run goes on.",
        "保留概率已改为 p = {keep_p}（输入 {keep_p_input}），从下一个小批量起生效；训练继续。",
    ),
    "v_units": ("Every hidden unit", "每个隐藏单元"),
    "v_units_caption": (
        "Each tile is one hidden unit's activation over the input plane (red +, blue −, each scaled to its "
        "own largest value); grey with a cross = dropped in the current mini-batch. Units are ordered so "
        "near-duplicates (|correlation| over the plane > 0.9: two units computing nearly the same "
        "function) sit together. The counts compare the method with its twin on this data; on a 2-D "
        "input many first-layer ReLU units are ramps that correlate whatever the training.",
        "每个小块是一个隐藏单元在输入平面上的激活（红 +，蓝 −，各自按其最大值缩放）；灰色带叉 = 在当前小批量中被丢弃。"
        "单元排序使近似重复的单元（在平面上 |相关系数| > 0.9：两个单元计算几乎相同的函数）相邻。"
        "计数比较方法与对照网络在这份数据上的情况；对二维输入，第一层的许多 ReLU 单元都是斜坡，无论如何训练都会相关。",
    ),
    "v_units_summary": (
        "Near-duplicate pairs per hidden layer: {method} {method_pairs} vs twin {twin_pairs}.",
        "每个隐藏层的近似重复单元对数：{method} {method_pairs}，对照 {twin_pairs}。",
    ),
    "u_duplicates": ("{pairs} near-duplicate pairs (|r| > {threshold})", "{pairs} 对近似重复（|r| > {threshold}）"),
    "u_sampled": ("{shown} of {total} units shown", "显示 {shown} / {total} 个单元"),
    "u_all": ("{total} units", "{total} 个单元"),
    "u_counted": ("counted over {counted} sampled units", "在 {counted} 个抽样单元上统计"),
    "u_layer": ("hidden layer {layer}", "隐藏层 {layer}"),
    "exports": (
        "For slides: standalone interactive HTML (plotly.js inside, works offline) and PNG",
        "用于幻灯片：独立的交互式 HTML（内含 plotly.js，离线可用）和 PNG",
    ),
    "x_network": ("masked network replay", "被掩码网络回放"),
    "x_response": ("p-response chart", "p 响应图"),
    "x_strip": ("boundary strip", "决策边界条"),
    "x_png_browser": (
        "PNG: open the HTML file (or use a chart's camera button on this page) and click 📷 — the browser "
        "saves the picture (no server-side image export is installed here).",
        "PNG：打开 HTML 文件（或在本页使用图表的相机按钮）并点击 📷，由浏览器保存图片（服务器上未安装图片导出）。",
    ),
    "f_batch_loss": ("mini-batch loss (smoothed)", "小批量损失（平滑）"),
    "f_no_eval_yet": ("mini-batch loss until the first evaluation", "首次评估前显示小批量损失"),
    "f_lines": ("lines under each image: {order}", "每张图下的行：{order}"),
    "f_keep_subtitle": ("p = {keep_p}", "p = {keep_p}"),
    "r_loss": ("cross-entropy loss", "交叉熵损失"),
    "r_error": ("error rate", "错误率"),
    "r_keep_p": ("keep probability p (hidden units)", "保留概率 p（隐藏单元）"),
    "r_scrubbed": ("p = {keep_p}", "p = {keep_p}"),
    "r_title": (
        "This data's p-response (your run, not the paper's figure)",
        "这份数据的 p 响应（你的训练，不是论文的图）",
    ),
    "r_sub": ("{done} of {total} members evaluated", "已评估 {done} / {total} 个成员"),
    "r_diverged": ("p = {keep_p} diverged at step {step}", "p = {keep_p} 在第 {step} 步发散"),
    "f_diverged_at": ("diverged at step {step}", "在第 {step} 步发散"),
}
