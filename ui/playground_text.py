"""All Playground text, English and 中文: ``TEXT = {key: (english, chinese)}``."""

TEXT = {
    "intro": ("Pick the keep probability p, a method and an architecture, press **Train**, and watch a network "
              "with dropout and its no-dropout twin (same initial weights, same mini-batches) learn side by side.",
              "选择保留概率 p、方法和网络结构，按 **训练**，看带 Dropout 的网络和它的无 Dropout 对照网络"
              "（相同的初始权重、相同的小批量）并排学习。"),
    # sidebar sections
    "sec_presets": ("Lessons", "课堂预设"),
    "sec_data": ("Data", "数据"),
    "sec_arch": ("Architecture", "网络结构"),
    "sec_method": ("Regularization", "正则化"),
    "sec_opt": ("Optimization", "优化"),
    "preset_link": ("link", "链接"),
    # data
    "dataset": ("Data set", "数据集"),
    "dataset_help": ("2D toys are generated in-process; digits ship with scikit-learn; MNIST / Fashion-MNIST appear "
                     "when their files are on the server; or upload your own CSV.",
                     "二维玩具数据在本地生成；手写数字随 scikit-learn 提供；服务器上有 MNIST / Fashion-MNIST "
                     "文件时才会出现；也可以上传自己的 CSV。"),
    "ds_moons": ("moons (2D)", "双月（二维）"), "ds_circles": ("circles (2D)", "同心圆（二维）"),
    "ds_spiral": ("spiral (2D)", "螺旋（二维）"), "ds_xor": ("xor (2D)", "异或（二维）"),
    "ds_blobs": ("blobs, 3 classes (2D)", "三团点，3 类（二维）"), "ds_digits": ("8×8 digits", "8×8 手写数字"),
    "ds_mnist": ("MNIST", "MNIST"), "ds_fashion-mnist": ("Fashion-MNIST", "Fashion-MNIST"),
    "ds_csv": ("CSV upload…", "上传 CSV…"),
    "csv_file": ("CSV file (numeric features + a label column)", "CSV 文件（数值特征 + 一列标签）"),
    "csv_help": ("The label column is the one named label/class/target/y, else the last. 25 % of rows are the test set. "
                 "An uploaded file is not part of the link.",
                 "标签列为名为 label/class/target/y 的列，否则为最后一列。25% 的行作为测试集。上传的文件不包含在链接中。"),
    "csv_needed": ("Upload a CSV file in the sidebar to train on it.", "请在侧边栏上传 CSV 文件后再训练。"),
    "csv_error": ("This CSV cannot be used: {error}", "无法使用该 CSV：{error}"),
    "data_error": ("This data set cannot be loaded: {error}", "无法加载该数据集：{error}"),
    "noise": ("Noise (2D data)", "噪声（二维数据）"),
    "train_size": ("Training examples", "训练样本数"),
    "train_size_default": ("default: 40 (2D toys), all (images)", "默认：40（二维数据），全部（图像）"),
    "train_size_help": ("Few examples + a big network = overfitting, which is what dropout fights.",
                        "样本少 + 网络大 = 过拟合，这正是 Dropout 要对付的。"),
    # architecture
    "hidden": ("Hidden layers (units per layer, comma-separated)", "隐藏层（每层单元数，逗号分隔）"),
    "hidden_help": ("e.g. 128,128 = two hidden layers of 128 units; 1 to 6 layers of 1 to 8192.",
                    "例如 128,128 表示两层各 128 个单元；1 到 6 层，每层 1 到 8192 个。"),
    "activation": ("Activation", "激活函数"),
    "act_relu": ("ReLU", "ReLU"), "act_logistic": ("logistic (sigmoid)", "logistic（sigmoid）"), "act_tanh": ("tanh", "tanh"),
    # method
    "method": ("Method", "方法"),
    "m_none": ("none", "无"), "m_dropout": ("dropout (Bernoulli)", "Dropout（伯努利）"),
    "m_gaussian": ("Gaussian dropout", "高斯 Dropout"), "m_dropconnect": ("DropConnect", "DropConnect"),
    "scaling": ("Implementation", "实现方式"),
    "s_inverted": ("inverted (scale ×1/p while training)", "inverted（训练时 ×1/p）"),
    "s_weight-scaling": ("weight scaling (×p at test time, the paper)", "权重缩放（测试时 ×p，论文做法）"),
    "keep_p": ("keep probability p (paper)", "保留概率 p（论文）"),
    "keep_p_help": ("The paper's p is the probability of KEEPING a unit. PyTorch's nn.Dropout(p) takes the probability "
                    "of DROPPING it, so the same setting is nn.Dropout(p=1−p).",
                    "论文中的 p 是“保留”一个单元的概率；PyTorch 的 nn.Dropout(p) 接收的是“丢弃”概率，"
                    "所以同一设置是 nn.Dropout(p=1−p)。"),
    "torch_equiv": ("= PyTorch `nn.Dropout(p={p})`", "= PyTorch `nn.Dropout(p={p})`"),
    "keep_p_input": ("keep probability of inputs", "输入的保留概率"),
    "keep_p_input_help": ("Dropout: the probability of keeping each input feature. DropConnect: the keep "
                          "probability of the first weight matrix's mask (the weights from the inputs).",
                          "Dropout：保留每个输入特征的概率。DropConnect：第一个权重矩阵（来自输入的权重）掩码的保留概率。"),
    "max_norm": ("max-norm c (empty = off)", "max-norm 约束 c（留空 = 关闭）"),
    "max_norm_help": ("After every step, rescale each hidden unit's incoming weight vector to norm ≤ c, with c the "
                      "paper's: it bounds the training-time weights W′ that act on the thinned units. Inverted "
                      "scaling stores W = p·W′, so its rows are held to p·c; weight scaling holds W′ itself to c. "
                      "The same c gives the same net either way.",
                      "每步后把每个隐藏单元的输入权重向量缩放到范数 ≤ c，c 取论文的含义：它约束作用在被丢弃后单元上的训练时权重 W′。"
                      "反向缩放存储的是 W = p·W′，所以其各行被限制在 p·c；权重缩放直接把 W′ 限制在 c。"
                      "两种实现用同一个 c 得到同一个网络。"),
    "dropconnect_mask": ("DropConnect masks", "DropConnect 掩码"),
    "dc_per-example": ("one per example", "每个样本一个"), "dc_per-batch": ("one per mini-batch", "每个小批量一个"),
    "twin": ("compare with a no-dropout twin", "与无 Dropout 的对照网络比较"),
    # optimization
    "optimizer": ("Optimizer", "优化器"),
    "o_sgd": ("SGD + momentum", "SGD + 动量"), "o_adam": ("Adam", "Adam"),
    "lr": ("Learning rate", "学习率"),
    "momentum": ("Momentum (SGD)", "动量（SGD）"),
    "batch_size": ("Batch size", "批量大小"),
    "epochs": ("Epochs", "训练轮数"),
    "seed": ("Seed", "随机种子"),
    # controls
    "train": ("Train", "训练"), "pause": ("Pause", "暂停"), "step": ("Step", "单步"),
    "stop": ("Stop", "停止"), "reset": ("Reset", "重置"),
    "train_help": ("Start (or resume) training in the background.", "在后台开始（或继续）训练。"),
    "step_help": ("Train exactly one mini-batch, then pause.", "只训练一个小批量，然后暂停。"),
    "speed": ("Speed (steps per refresh)", "速度（每次刷新的步数）"),
    "speed_help": ("The views refresh every {seconds} s while training; this caps how many mini-batches train "
                   "between refreshes. Changing it does not reset the run.",
                   "训练时视图每 {seconds} 秒刷新一次；这里限制两次刷新之间训练的小批量数。修改它不会重置训练。"),
    "speed_max": ("max", "最快"),
    # status
    "state_idle": ("Ready: press Train.", "就绪：请按“训练”。"),
    "state_queued": ("Queued", "排队中"),
    "state_starting": ("Starting…", "正在启动……"),
    "state_running": ("Training", "训练中"), "state_paused": ("Paused", "已暂停"),
    "state_completed": ("Completed", "已完成"), "state_stopped": ("Stopped", "已停止"),
    "state_diverged": ("Diverged", "发散"), "state_error": ("Error", "错误"),
    "progress": ("{state} · epoch {epoch:.0f} / {epochs} · step {step} / {total} · {rate:,.0f} samples/s",
                 "{state} · 第 {epoch:.0f} / {epochs} 轮 · 第 {step} / {total} 步 · 每秒 {rate:,.0f} 个样本"),
    "queued": ("Waiting for a free trainer: position {position} in the queue. Your run starts by itself "
               "as soon as one frees up; keep this tab open.",
               "正在等待空闲的训练进程：排在第 {position} 位。一有空位，训练会自动开始；请保持此标签页打开。"),
    "reset_notice": ("Settings changed, so the previous run was stopped and reset.", "设置已更改，之前的训练已停止并重置。"),
    "url_notice_title": ("Some settings in the link were not valid or not usable here, so they were changed "
                         "(the address bar now holds the settings in use):",
                         "链接中的部分设置无效或在此不可用，已作更改（地址栏现在是实际使用的设置）："),
    "widget_notice": ("A setting is not valid, the default is used instead: {problem}", "设置无效，已改用默认值：{problem}"),
    "dataset_unavailable": ("URL setting ignored, default {default} used instead. dataset: {value!r} is not available "
                            "on this server (available: {choices})",
                            "已忽略链接中的设置，改用默认值 {default}。dataset：本服务器上没有 {value!r}（可用：{choices}）"),
    "speed_bad": ("URL setting ignored, default max used instead. speed: {value!r} (allowed: {choices})",
                  "已忽略链接中的设置，改用默认值 max。speed：{value!r}（允许：{choices}）"),
    "run_message": ("Run message: {message}", "训练信息：{message}"),
    # views
    "v_curves": ("Learning curves", "学习曲线"),
    "v_network": ("Masked network", "被掩码的网络"),
    "v_network_caption": ("Line width = |w|, colour = sign (red +, blue −). Grey ✕ = unit dropped in this mini-batch, "
                          "dotted grey = connection dropped. Pause to replay the last {n} recorded masks with ▶ and the slider.",
                          "线宽 = |w|，颜色 = 符号（红 +，蓝 −）。灰色 ✕ = 该小批量中被丢弃的单元，"
                          "灰色虚线 = 被丢弃的连接。暂停后可用 ▶ 和滑块回放最近 {n} 个记录的掩码。"),
    "v_network_none": ("The twin has no masks: choose a method other than none to see dropped units.",
                       "方法为“无”时没有掩码：选择其他方法即可看到被丢弃的单元。"),
    "v_mask": ("Mask on one weight matrix", "一个权重矩阵上的掩码"),
    "v_mask_caption": ("The same keep probability p = {p}: dropout removes whole rows (outputs) and columns (inputs) of W; "
                       "DropConnect removes single entries.",
                       "相同的保留概率 p = {p}：Dropout 删掉 W 的整行（输出）和整列（输入）；DropConnect 删掉单个元素。"),
    "v_boundary": ("Decision boundary", "决策边界"),
    "v_images": ("Test images and predictions", "测试图像与预测"),
    "v_waiting": ("Press **Train** (or **Step**) to see live views.", "按 **训练**（或 **单步**）查看实时视图。"),
    "v_no_2d": ("The decision boundary is drawn for 2D data sets only.", "只有二维数据集才画决策边界。"),
    "downloads": ("Download", "下载"),
    "dl_csv": ("metrics (CSV)", "指标（CSV）"), "dl_json": ("settings (JSON)", "设置（JSON）"),
    "share": ("Share this experiment: copy the address bar — it holds every setting.",
              "分享这个实验：复制地址栏即可，其中包含所有设置。"),
    "final_table": ("Latest evaluation", "最近一次评估"),
    # figure labels
    "f_method": ("with {method}", "使用 {method}"), "f_baseline": ("no-dropout twin", "无 Dropout 对照"),
    "f_train": ("train", "训练"), "f_test": ("test", "测试"), "f_loss": ("cross-entropy loss", "交叉熵损失"),
    "f_error": ("error rate", "错误率"), "f_epoch": ("epoch", "轮次"),
    "f_gap": ("generalization gap (test − train loss)", "泛化差距（测试损失 − 训练损失）"),
    "f_no_data": ("no evaluation yet", "尚无评估"),
    "f_kept": ("kept", "保留"), "f_dropped": ("dropped", "丢弃"), "f_input": ("input", "输入"),
    "f_hidden": ("hidden", "隐藏层"), "f_output": ("output", "输出"), "f_shown": ("{shown} of {total} shown", "显示 {shown} / {total}"),
    "f_play": ("▶ play", "▶ 播放"), "f_step": ("step", "步"),
    "f_mask_dropout": ("dropout: whole rows and columns", "Dropout：整行和整列"),
    "f_mask_dropconnect": ("DropConnect: independent entries", "DropConnect：独立的元素"),
    "f_sub_networks": ("{text} sub-networks", "{text} 个子网络"), "f_to_unit": ("to unit", "到单元"),
    "f_from_unit": ("from unit", "来自单元"), "f_pred": ("pred", "预测"), "f_twin_pred": ("twin", "对照"),
}
