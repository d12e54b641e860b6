"""English / 中文 text of the Lecture page: ``TEXT = {key: (en, zh)}``.

Section bodies are keyed ``"<section id>.body"`` (ids from dropviz.lecture).
Markdown; $...$ is typeset by Streamlit.
"""

TEXT = {
    "intro": (
        "The lecture *Dropout* (Zhao Zhou, Zhejiang University), section by section, "
        "in its own order. Each section has a short explanation and a live element: "
        "small ones run here, larger ones open the page that shows them at full size "
        "with the settings filled in. Numbers labelled **paper** are Srivastava et al. "
        "(2014, JMLR) on MNIST, quoted, not run here. Throughout, **p is the "
        "probability of keeping a unit** (the paper's p; PyTorch's `nn.Dropout(p)` "
        "takes the drop probability 1 − p).",
        "浙江大学赵洲老师的讲义《Dropout》，按讲义原有顺序逐节呈现。每一节有简短说明和一个"
        "可交互元素：小的直接在本页运行，大的链接到完整页面并带上相应设置。标注为**论文**的数字"
        "来自 Srivastava 等（2014，JMLR）在 MNIST 上的结果，是引用，并非在此运行。全文中 "
        "**p 表示保留单元的概率**（论文的 p；PyTorch 的 `nn.Dropout(p)` 用的是丢弃概率 1 − p）。",
    ),
    "slide": ("Lecture slide: {name}", "讲义页：{name}"),
    "contents": ("Sections", "目录"),
    "open_page": ("Full page", "完整页面"),
    "paper_label": (
        "Paper's numbers (Srivastava et al. 2014, MNIST), not run here",
        "论文数据（Srivastava 等 2014，MNIST），并非在此运行",
    ),
    "approx_note": (
        "≈ values were read off the paper's plots (REFERENCE.md).",
        "≈ 表示从论文图中读出的近似值（见 REFERENCE.md）。",
    ),
    "keep_p": ("keep probability p (paper)", "保留概率 p（论文）"),
    "torch_p": ("= PyTorch nn.Dropout(p={p:g})", "= PyTorch nn.Dropout(p={p:g})"),
    # 1 co-adaptation
    "coadaptation.body": (
        'Why dropout? To fight **co-adaptation**: "co-adaptation refers to when different '
        'hidden units in a neural network have highly correlated behavior". A unit can '
        "learn to fix the mistakes of particular partners; the team works on the training "
        "set and fails on new data. If any partner may be missing at any step, each unit "
        "has to be useful on its own.\n\n"
        "Measuring it is subtle: on 8×8 digits (64-512-512-10, ReLU) hidden dropout with "
        "p = 0.5 left the mean |correlation| of the last hidden layer unchanged (0.194 vs "
        "0.195) while it made activations sparser (exact zeros 53 % → 73 %) and removed "
        "dead units (33 → 0 of 512). The Co-adaptation page shows several measures side by "
        "side, including a functional one (error when units are removed).",
        "为什么要 Dropout？为了解决**共适应（co-adaptation）**问题：“co-adaptation refers to "
        "when different hidden units in a neural network have highly correlated behavior”。"
        "一个单元可能学会专门修正某些“搭档”的错误；这种团队在训练集上有效，在新数据上却失败。"
        "如果任何搭档在任何一步都可能缺席，每个单元就必须自己有用。\n\n"
        "度量共适应并不简单：在 8×8 手写数字上（64-512-512-10，ReLU），隐藏层 p = 0.5 的 "
        "Dropout 几乎没有改变最后一个隐藏层的平均 |相关系数|（0.194 对 0.195），却让激活更稀疏"
        "（恰为 0 的比例 53 % → 73 %），并消除了死单元（512 个中 33 → 0）。共适应页并列展示多种"
        "度量，包括功能性度量（移除单元后的错误率）。",
    ),
    # 2 what is dropout
    "what-is-dropout.body": (
        "While training, every unit (input or hidden) is **kept with probability p** and "
        "otherwise removed, together with all its connections, afresh for every example. "
        "Each example trains a different *thinned* network (a mini-batch step trains as many "
        "as it has examples); all of them share the same weights. A net with n droppable units has 2ⁿ thinned networks.",
        "训练时，每个单元（输入或隐藏）**以概率 p 保留**，否则连同它的所有连接一起被移除，"
        "且每个样本都重新采样。每个样本训练的是一个不同的“稀疏化”子网络（一个小批量步骤训练的子网络数等于其样本数），所有子网络共享同一组权重。"
        "有 n 个可丢弃单元的网络共有 2ⁿ 个子网络。",
    ),
    "net_standard": ("(a) Standard neural net", "(a) 标准神经网络"),
    "net_thinned": ("(b) After applying dropout", "(b) 应用 Dropout 之后"),
    "net_resample": ("Re-sample", "重新采样"),
    "net_count": (
        "This net: {units} droppable units (input p = 0.8, hidden p as chosen), "
        "{count} thinned networks; this one keeps {kept} of the {units} units.",
        "本网络：{units} 个可丢弃单元（输入层 p = 0.8，隐藏层 p 可调），共 {count} 个子网络；"
        "当前子网络保留了 {units} 个单元中的 {kept} 个。",
    ),
    "kept_unit": ("kept unit", "保留的单元"),
    "dropped_unit": ("dropped unit", "丢弃的单元"),
    # 3 model
    "model.body": (
        "Standard layer (left) and the same layer with dropout (right): a Bernoulli mask "
        "r multiplies the previous layer's outputs y before the weights see them.",
        "标准网络层（左）与加上 Dropout 的同一层（右）：伯努利掩码 r 先与上一层输出 y 相乘，然后才进入权重计算。",
    ),
    "standard": ("Standard network", "标准网络"),
    "with_dropout": ("Dropout network", "Dropout 网络"),
    "example_title": ("Live example: one layer, 5 → 3 units", "实时示例：一层，5 → 3 个单元"),
    "example_resample": ("Re-sample r", "重新采样 r"),
    "example_draw": ("draw #{k}", "第 {k} 次采样"),
    "activation": ("activation f", "激活函数 f"),
    "col_unit": ("unit j", "单元 j"),
    "col_y": ("y_j", "y_j"),
    "col_r": ("r_j", "r_j"),
    "col_ytilde": ("ỹ_j = r_j y_j", "ỹ_j = r_j y_j"),
    "col_z": ("z_i = w_i ỹ + b_i", "z_i = w_i ỹ + b_i"),
    "col_out": ("y_i^(l+1) = f(z_i)", "y_i^(l+1) = f(z_i)"),
    "kept_of": ("{kept} of {n} units kept", "保留了 {n} 个单元中的 {kept} 个"),
    "weights_caption": ("Weights W (3 × 5) and bias b of the example", "示例的权重 W（3 × 5）与偏置 b"),
    # 4 training vs inference
    "train-vs-inference.body": (
        "At test time no unit is dropped. To keep each unit's expected input the same, the "
        "original paper multiplies the outgoing weights by p: $W_{test} = pW$. Because z is "
        "linear in r, $E_r[z] = pWy + b$ exactly; after the non-linearity f it is an "
        "approximation of the average of all thinned networks (exact for one logistic unit "
        "in the NWGM sense — see the Theory page).",
        "测试时不丢弃任何单元。为使每个单元的期望输入不变，原论文把输出权重乘以 p："
        "$W_{test} = pW$。由于 z 对 r 是线性的，$E_r[z] = pWy + b$ 严格成立；经过非线性 f 之后，"
        "它只是所有子网络平均的近似（对单个 logistic 单元，在归一化几何平均意义下是精确的——见理论页）。",
    ),
    "exact_title": (
        "The example layer, averaged exactly over all {n} masks",
        "示例层：对全部 {n} 个掩码精确求平均",
    ),
    "row_Ez": ("E_r[z] (all masks)", "E_r[z]（全部掩码）"),
    "row_ztest": ("z_test = pWy + b", "z_test = pWy + b"),
    "row_Eout": ("E_r[f(z)] (ensemble average)", "E_r[f(z)]（集成平均）"),
    "row_outtest": ("f(z_test) (weight scaling)", "f(z_test)（权重缩放）"),
    # 5 MNIST
    "mnist.body": (
        "The lecture's comparison table (the paper's Table 2): dropout nets beat the standard "
        "net and the SVM; max-norm and larger nets help further.",
        "讲义中的横向比较（论文表 2）：Dropout 网络优于标准网络和 SVM；加上 max-norm 约束、"
        "使用更大的网络还能进一步提升。",
    ),
    "col_method": ("Method", "方法"),
    "col_unit_type": ("Unit type", "单元类型"),
    "col_arch": ("Architecture", "结构"),
    "col_err": ("Error % (paper)", "错误率 %（论文）"),
    # 6 robustness
    "robustness.body": (
        "The same recipe (p = 0.5 hidden, 0.8 input) helped every one of six architectures "
        "(2 to 4 hidden layers of 1024 or 2048 units): without dropout they plateau at "
        "≈1.6–1.9 %, with dropout they keep improving to ≈1.0–1.15 %.",
        "同一套设置（隐藏层 p = 0.5，输入层 0.8）对全部六种结构（2 到 4 个隐藏层，每层 1024 或 "
        "2048 个单元）都有效：不用 Dropout 时错误率停在约 1.6–1.9 %，使用 Dropout 后持续下降到约 "
        "1.0–1.15 %。",
    ),
    # 7 effect of p
    "effect-of-p.body": (
        "(a) With n fixed, small p under-fits (training error high at p < 0.3); test error "
        "is flat for 0.4 ≤ p ≤ 0.8. (b) Keeping p·n fixed (more units for small p), the best "
        "test error is near p = 0.6.",
        "(a) 固定 n 时，p 太小会欠拟合（p < 0.3 时训练误差很高）；0.4 ≤ p ≤ 0.8 时测试误差基本持平。"
        "(b) 固定 p·n（p 越小单元越多）时，最佳测试误差在 p ≈ 0.6 附近。",
    ),
    "test": ("test", "测试"),
    "train": ("train", "训练"),
    # 8 data size
    "data-size.body": (
        "With 100 training examples dropout does not help (it is worse); the gain is "
        "largest in the middle of the range (5K examples: 4.7 % → 2.9 %) and shrinks as "
        "data become plentiful.",
        "只有 100 个训练样本时 Dropout 没有帮助（反而更差）；收益在中等数据量时最大"
        "（5K 样本：4.7 % → 2.9 %），数据充足后收益变小。",
    ),
    "with": ("with dropout", "使用 Dropout"),
    "without": ("without dropout", "不使用 Dropout"),
    # 9 mathematics
    "mathematics.body": (
        "Baldi & Sadowski (2013): one linear unit $O = \\sum_i w_i I_i$ with target t. The "
        "ensemble (weight-scaled) error $E_N$ and the dropout error $E_D$ with "
        "$\\delta_i \\sim \\text{Bernoulli}(p_i)$:",
        "Baldi 与 Sadowski（2013）：单个线性单元 $O = \\sum_i w_i I_i$，目标为 t。集成（权重缩放）"
        "误差 $E_N$ 与 Dropout 误差 $E_D$，其中 $\\delta_i \\sim \\text{Bernoulli}(p_i)$：",
    ),
    "math_expect": (
        "Taking the expectation ($E[\\delta_i^2] = p_i$, not $p_i^2$, which adds "
        "$\\mathrm{Var}(\\delta_i) = p_i(1-p_i)$):",
        "求期望（$E[\\delta_i^2] = p_i$ 而不是 $p_i^2$，多出 $\\mathrm{Var}(\\delta_i) = p_i(1-p_i)$）：",
    ),
    "math_er": (
        "So the expected dropout gradient is the gradient of a **regularized** error:",
        "因此 Dropout 梯度的期望是一个**带正则项**误差的梯度：",
    ),
    "half_note": (
        "The lecture's slide writes the penalty **without the ½**. The ½ is correct: with "
        "it, $E_R = E[E_D]$ exactly and $\\partial E_R/\\partial w_i = E[\\partial E_D/\\partial w_i]$; "
        "without it the penalty's gradient would be doubled.",
        "讲义幻灯片中的正则项**漏掉了 ½**。带 ½ 才正确：此时 $E_R = E[E_D]$ 严格成立，且 "
        "$\\partial E_R/\\partial w_i = E[\\partial E_D/\\partial w_i]$；若没有 ½，正则项的梯度会翻倍。",
    ),
    "math_p": (
        "The penalty factor p(1 − p) is largest at p = 0.5: that is where dropout regularizes "
        "most **for fixed training-time weights w**. The network predicts with the weights p·w, "
        "and on those the same penalty reads $\\tfrac12\\frac{1-p}{p}(p w_i)^2 I_i^2$: its factor "
        "(1 − p)/p keeps growing as p falls (1, 4, 9 at p = 0.5, 0.2, 0.1), which is why a small p "
        "under-fits (the paper's Figure 9a, p < 0.3). Both curves below. Drag p:",
        "惩罚系数 p(1 − p) 在 p = 0.5 时最大：**对固定的训练时权重 w 而言**，此时 Dropout 的正则作用最强。"
        "网络预测时用的是权重 p·w，对它们同一惩罚写作 $\\tfrac12\\frac{1-p}{p}(p w_i)^2 I_i^2$："
        "系数 (1 − p)/p 随 p 减小而一直增大（p = 0.5、0.2、0.1 时为 1、4、9），这就是 p 太小时会欠拟合的原因"
        "（论文图 9a，p < 0.3）。下图同时画出两条曲线。拖动 p：",
    ),
    "pen_metric": ("p(1 − p)", "p(1 − p)"),
    "pen_title": (
        "Penalty factor: p(1 − p) on w, (1 − p)/p on the test weights p·w",
        "惩罚系数：对 w 为 p(1 − p)，对测试权重 p·w 为 (1 − p)/p",
    ),
    # 10 DropConnect
    "dropconnect.body": (
        "Dropout zeroes **outputs** of units; DropConnect (Wan et al. 2013) zeroes "
        "**weights**, each independently. On a weight matrix, dropout's mask removes whole "
        "columns (dropped inputs) and rows (dropped outputs); DropConnect's mask is random "
        "entry by entry, so it defines far more sub-networks. (Wan et al. mask the biases as well; "
        "dropviz masks only the weights and keeps every bias, a simplification.) Paper results with ensembles "
        "and augmentation, DropConnect / dropout: MNIST 0.21 / 0.27 %, CIFAR-10 9.32 / 9.83 %, "
        "SVHN 1.94 / 1.96 %.",
        "Dropout 把单元的**输出**随机置 0，而 DropConnect（Wan 等 2013）把**权重**逐个独立地"
        "随机置 0。在权重矩阵上，Dropout 的掩码相当于把整列（被丢弃的输入）和整行（被丢弃的输出）"
        "置 0；DropConnect 的掩码逐元素随机，因此能定义多得多的子网络。（Wan 等人也对偏置做掩码；dropviz 只对权重做掩码、"
        "保留所有偏置，这是一个简化。）论文结果（含集成与数据增强），"
        "DropConnect / Dropout：MNIST 0.21 / 0.27 %，CIFAR-10 9.32 / 9.83 %，SVHN 1.94 / 1.96 %。",
    ),
    "mask_resample": ("Re-sample masks", "重新采样掩码"),
    "mask_dropout": ("dropout: whole rows and columns", "Dropout：整行与整列"),
    "mask_dropconnect": ("DropConnect: independent entries", "DropConnect：逐元素独立"),
    "mask_title": (
        "Effective masks on an 8 × 12 weight matrix (dark = kept)",
        "8 × 12 权重矩阵上的有效掩码（深色 = 保留）",
    ),
    "mask_counts": (
        "Sub-networks of this layer: dropout on inputs and outputs {d} mask draws; DropConnect {c}.",
        "该层的子网络数：对输入和输出做 Dropout 共 {d} 种掩码；DropConnect 共 {c} 种。",
    ),
    "input_unit": ("input unit j", "输入单元 j"),
    "output_unit": ("output unit i", "输出单元 i"),
    # 11 implementation
    "implementation.body": (
        "**Original** (the paper): train with $\\tilde y = r * y$, test with weights scaled "
        "by p. **Current** (inverted dropout, what PyTorch and TensorFlow do): scale the kept "
        "units by 1/p while training, so the test network is the plain one. Both give every "
        "unit the same expected input at training and test time.",
        "**原始实现**（论文）：训练时 $\\tilde y = r * y$，测试时权重乘以 p。**目前实现**"
        "（反向 Dropout，PyTorch 与 TensorFlow 的做法）：训练时把保留的单元除以 p，测试时直接"
        "使用原网络。两者在训练和测试时给每个单元的期望输入相同。",
    ),
    "impl_original": ("Original", "原始实现"),
    "impl_current": ("Current (inverted)", "目前实现（反向）"),
    "impl_demo": (
        "x = (1, 2, 3, 4), averaged over {n} masks with p = {p:g}:",
        "x = (1, 2, 3, 4)，p = {p:g}，对 {n} 个掩码取平均：",
    ),
    "impl_row_train": ("mean training output", "训练输出的平均"),
    "impl_row_test": ("test output", "测试输出"),
    # 12 ridge
    "ridge.body": (
        "For linear regression with input masks $R_{ij} \\sim \\text{Bernoulli}(p)$, the "
        "expected loss is a ridge regression whose penalty on each weight scales with that "
        "input's energy, $\\Gamma = (\\mathrm{diag}(X^\\top X))^{1/2}$ (paper §9.1, the lecture's "
        "实现原理 slide):",
        "对线性回归的输入施加掩码 $R_{ij} \\sim \\text{Bernoulli}(p)$，期望损失等价于一个岭回归，"
        "其对每个权重的惩罚与该输入的能量成正比，$\\Gamma = (\\mathrm{diag}(X^\\top X))^{1/2}$"
        "（论文 §9.1，讲义“实现原理”页）：",
    ),
    "ridge_rescaled": (
        "Writing $\\tilde w = p\\,w$ (the weights used at test time), it is ridge regression "
        "with penalty $\\frac{1-p}{p}$:",
        "令 $\\tilde w = p\\,w$（测试时实际使用的权重），它就是惩罚系数为 $\\frac{1-p}{p}$ 的岭回归：",
    ),
    "ridge_demo": (
        "Closed forms on a generated problem (200 × 5, columns of different scales):",
        "在一个生成的问题上（200 × 5，各列尺度不同）的闭式解：",
    ),
    "ridge_ls": ("least squares", "最小二乘"),
    "ridge_w": ("dropout w* (train weights)", "Dropout w*（训练权重）"),
    "ridge_wt": ("w̃ = p·w* (test weights)", "w̃ = p·w*（测试权重）"),
    # 13 numpy
    "numpy.body": (
        "The lecture's function, exactly as printed. It means well, but running it shows "
        "these defects (found by executing it now, with the installed numpy):",
        "讲义中的函数，原样照录。它的意图没有问题，但实际运行会暴露以下缺陷（由本应用此刻用已安装的 numpy 执行得出）：",
    ),
    # 14 summary
    "summary.body": (
        "- **Model averaging.** Each example trains a different thinned network; predicting "
        "with the weight-scaled network approximates averaging all 2ⁿ of them, and averaging "
        "reduces the variance of the individual sub-networks' predictions. The sub-networks "
        "share weights, so training and testing cost about as much as one net (2–3× its "
        "training time, see below): cheap compared with training 2ⁿ separate networks.\n"
        "- **Less co-adaptation.** A unit cannot count on particular partners being present, "
        "so units become more independent and the network more robust.\n"
        "- **In practice** (paper, appendix A): p = 0.5–0.8 for hidden layers and 0.8 for "
        "real-valued inputs; if n units are right without dropout, use at least n/p; "
        "max-norm c = 3–4; training takes 2–3× longer.",
        "- **模型平均。** 每个样本训练的都是不同的子网络；用权重缩放后的网络预测，近似于对全部 2ⁿ "
        "个子网络取平均，而平均降低了单个子网络预测的方差。子网络共享权重，因此训练和测试的代价与一个网络相当（训练时间约为其 2–3 倍，见下文）："
        "与分别训练 2ⁿ 个网络相比很便宜。\n"
        "- **减少共适应。** 单元不能指望某些搭档一定在场，于是单元之间更加独立，网络更鲁棒。\n"
        "- **实践建议**（论文附录 A）：隐藏层 p = 0.5–0.8，实值输入层 0.8；若不用 Dropout 时 n "
        "个单元合适，则使用至少 n/p 个；max-norm c = 3–4；训练时间约为 2–3 倍。",
    ),
}

#: Each section's title, the lecture's own (Chinese) heading, and its links' labels, keyed by section id
#: (dropviz.lecture.SECTIONS): "<id>.title", "<id>.slide", "<id>.link.<page>".
SECTION_TEXT = {
    "coadaptation.title": ("1. Motivation: co-adaptation", "1. 研究动机：共适应"),
    "coadaptation.slide": ("Dropout研究动机", "Dropout研究动机"),  # the lecture's own heading
    "coadaptation.link.coadaptation": ("Measure co-adaptation with and without dropout", "度量有无 Dropout 时的共适应"),
    "what-is-dropout.title": ("2. What is dropout?", "2. 什么是 Dropout？"),
    "what-is-dropout.slide": ("什么是Dropout? / 网络对比", "什么是Dropout? / 网络对比"),  # the lecture's own heading
    "what-is-dropout.link.playground": (
        "Train a dropout net beside its no-dropout twin",
        "训练 Dropout 网络及其无 Dropout 对照",
    ),
    "model.title": ("3. Model equations", "3. 模型描述"),
    "model.slide": ("模型描述", "模型描述"),  # the lecture's own heading
    "model.link.playground": ("See the real masks of each mini-batch", "查看每个小批量的真实掩码"),
    "train-vs-inference.title": ("4. Training vs inference", "4. 训练与推理"),
    "train-vs-inference.slide": ("训练与推理", "训练与推理"),  # the lecture's own heading
    "train-vs-inference.link.inference": ("Weight scaling vs Monte-Carlo averaging", "权重缩放与蒙特卡洛平均对比"),
    "mnist.title": ("5. Comparison on MNIST (paper's Table 2)", "5. 横向比较（论文表 2）"),
    "mnist.slide": ("横向比较", "横向比较"),  # the lecture's own heading
    "mnist.link.experiments": ("Re-run the comparison here", "在本应用中重新运行该比较"),
    "robustness.title": ("6. Robustness across architectures (paper's Fig. 4)", "6. 鲁棒性结果（论文图 4）"),
    "robustness.slide": ("鲁棒性结果", "鲁棒性结果"),  # the lecture's own heading
    "robustness.link.experiments": (
        "Re-run: several architectures with and without dropout",
        "重新运行：多种结构、有无 Dropout",
    ),
    "effect-of-p.title": ("7. Effect of p (paper's Fig. 9)", "7. p 值的影响（论文图 9）"),
    "effect-of-p.slide": ("P值影响", "P值影响"),  # the lecture's own heading
    "effect-of-p.link.experiments": ("Re-run the p sweep (n fixed)", "重新运行 p 扫描（n 固定）"),
    "effect-of-p.link.playground": ("p = 0.1: watch it under-fit", "p = 0.1：观察欠拟合"),
    "data-size.title": ("8. Effect of data set size (paper's Fig. 10)", "8. 训练数据大小的影响（论文图 10）"),
    "data-size.slide": ("训练数据大小影响", "训练数据大小影响"),  # the lecture's own heading
    "data-size.link.experiments": ("Re-run the data-size sweep", "重新运行数据量扫描"),
    "data-size.link.playground": ("Few training points, big net", "训练点很少、网络很大"),
    "mathematics.title": ("9. The mathematics: an expected regularizer", "9. Dropout 的数学原理：期望意义下的正则"),
    "mathematics.slide": (
        "Dropout的数学原理 / Dropout网络的期望值是一种正则",
        "Dropout的数学原理 / Dropout网络的期望值是一种正则",
    ),  # the lecture's own heading
    "mathematics.link.theory": ("Check it with your own numbers (Theory page)", "用你自己的数字验证（理论页）"),
    "dropconnect.title": ("10. DropConnect", "10. DropConnect 网络"),
    "dropconnect.slide": (
        "DropConnect网络 / DropConnect网络的动机 / 实验对比",
        "DropConnect网络 / DropConnect网络的动机 / 实验对比",
    ),  # the lecture's own heading
    "dropconnect.link.playground": ("Train with DropConnect", "使用 DropConnect 训练"),
    "dropconnect.link.inference": (
        "DropConnect inference: mean vs Gaussian sampling",
        "DropConnect 推理：均值与高斯采样",
    ),
    "implementation.title": ("11. Original vs current implementation", "11. 实现方式：原始实现与目前实现"),
    "implementation.slide": ("实现方式", "实现方式"),  # the lecture's own heading
    "implementation.link.inference": ("Inverted vs weight-scaling: same predictions", "反向缩放与权重缩放：预测相同"),
    "implementation.link.playground": (
        "Train with the original (weight-scaling) version",
        "用原始（权重缩放）实现训练",
    ),
    "ridge.title": ("12. Why it works for linear regression: ridge", "12. 实现原理：与岭回归等价"),
    "ridge.slide": ("实现原理", "实现原理"),  # the lecture's own heading
    "ridge.link.theory": ("SGD with masks vs the closed form (Theory page)", "带掩码的 SGD 与闭式解（理论页）"),
    "numpy.title": ("13. A numpy function", "13. 函数实现"),
    "numpy.slide": ("函数实现", "函数实现"),  # the lecture's own heading
    "numpy.link.theory": ("Run it and see each defect (Theory page)", "运行它并查看每个缺陷（理论页）"),
    "summary.title": ("14. Summary: model averaging, less co-adaptation", "14. 总结：模型平均，减少共适应"),
    "summary.slide": ("总结", "总结"),  # the lecture's own heading
    "summary.link.inference": ("Model averaging: k sampled nets vs weight scaling", "模型平均：k 个采样网络与权重缩放"),
    "summary.link.coadaptation": ("Co-adaptation: what the measures show", "共适应：各项度量显示了什么"),
}


#: The lecture numpy function's defects (keys of dropviz.numpy_dropout.lecture_defects()), on the Lecture and
#: Theory pages: "defect.<key>.name" and "defect.<key>.explanation".
DEFECT_TEXT = {
    "defect.global-seed.name": ("Reseeds numpy's global generator", "重置了 numpy 的全局随机数生成器"),
    "defect.global-seed.explanation": (
        "np.random.seed() returns None, so `seed = np.random.seed(seed)` only reseeds the GLOBAL generator, clobbering the caller's random state (and with seed=None, reseeding it from OS entropy).",
        "np.random.seed() 返回 None，`seed = np.random.seed(seed)` 只是重置了全局随机数生成器，破坏调用者的随机状态（seed=None 时用系统熵重新播种，无法复现）。",
    ),
    "defect.in-place.name": ("Modifies the caller's array", "原地修改了调用者的数组"),
    "defect.in-place.explanation": (
        "`x *= random_tensor` and `x /= keep_prob` write into the caller's array, so the input is destroyed and the returned array is the same object.",
        "`x *= random_tensor` 与 `x /= keep_prob` 原地修改了调用者传入的数组，输入被破坏，返回值与输入是同一个对象。",
    ),
    "defect.integer-input.name": ("Integer arrays fail half-way", "整数数组处理到一半时报错"),
    "defect.integer-input.explanation": (
        "On an integer array, the in-place true division cannot store floats: numpy raises (UFuncTypeError, since numpy 1.10) after the mask has already been applied in place.",
        "对整数数组，原地真除法无法把浮点结果写回整数数组：numpy 会报错（UFuncTypeError，自 numpy 1.10 起），而此时掩码已经原地乘上，输入数组处于一半被修改的状态。",
    ),
    "defect.discard-all.name": ("discard_prob = 1 divides by zero", "discard_prob = 1 时除以零"),
    "defect.discard-all.explanation": (
        "discard_prob=1 passes the range check, gives keep_prob = 0 and then 0/0 = nan for every element (with a RuntimeWarning).",
        "discard_prob=1 能通过范围检查，使 keep_prob = 0，随后 0/0 = nan，所有元素都变成 nan（并伴随 RuntimeWarning）。",
    ),
    "defect.nan-prob.name": ("NaN slips past the range check", "NaN 绕过了范围检查"),
    "defect.nan-prob.explanation": (
        "`discard_prob < 0 or discard_prob > 1` is False for NaN, so the check does not reject it; the failure happens later inside numpy.",
        "对 NaN，`discard_prob < 0 or discard_prob > 1` 为 False，范围检查没有拒绝它，错误要到 numpy 内部才出现。",
    ),
}

#: What running each defect's snippet showed (dropviz.numpy_dropout.LectureDefect: "outcome.<case>" with its
#: values; "word.<key>" for its either-or words), on the Theory page.
OUTCOME_TEXT = {
    "outcome.global-seed": (
        "np.random.seed(0) returned {returned}, so the local `seed` is {returned} afterwards. After the call with "
        "seed=0 the caller's next np.random.rand() was {after_call:.6f}; {relation} the value after "
        "np.random.seed(0) ({after_seed0:.6f}) instead of {untouched:.6f} from the caller's seed 123: the global "
        "generator {reseeded} reseeded. With seed=None it reseeds from OS entropy: two identical runs after "
        "np.random.seed(123) gave next draws {a:.6f} and {b:.6f} ({equal}).",
        "np.random.seed(0) 返回 {returned}，所以之后局部变量 `seed` 是 {returned}。以 seed=0 调用之后，调用者的下一个 "
        "np.random.rand() 是 {after_call:.6f}；{relation} np.random.seed(0) 之后的值（{after_seed0:.6f}），而不是调用者的"
        "种子 123 应给出的 {untouched:.6f}：全局随机数生成器{reseeded}被重置。seed=None 时它用系统熵重新播种："
        "在 np.random.seed(123) 之后两次相同的运行给出的下一个随机数是 {a:.6f} 和 {b:.6f}（{equal}）。",
    ),
    "outcome.in-place": (
        "caller's x before: {before}; after: {after} ({changed}); the returned array {identity} the caller's x.",
        "调用者的 x 调用前：{before}；调用后：{after}（{changed}）；返回的数组{identity}调用者的 x。",
    ),
    "outcome.integer-input.raised": (
        "raised {error_type}: {error}. The line `x *= random_tensor` had already run, so the caller's int array "
        "was {left}: {before} -> {after} (numpy {numpy}).",
        "抛出 {error_type}：{error}。`x *= random_tensor` 这一行已经执行，所以调用者的整数数组{left}："
        "{before} -> {after}（numpy {numpy}）。",
    ),
    "outcome.integer-input.no-error": (
        "no error; result dtype {dtype}: {before} -> {result} (numpy {numpy}).",
        "没有报错；结果的 dtype 为 {dtype}：{before} -> {result}（numpy {numpy}）。",
    ),
    "outcome.discard-all": (
        "keep_prob = 0, every element was multiplied by 0 and then divided by 0: result {result} (nan: {nan}, "
        "inf: {inf} of {size}); warnings: {warnings}.",
        "keep_prob = 0，每个元素先乘以 0 再除以 0：结果 {result}（{size} 个中 nan：{nan}，inf：{inf}）；警告：{warnings}。",
    ),
    "outcome.nan-prob.raised": ("raised {error_type}: {error} -- {check}", "抛出 {error_type}：{error} —— {check}"),
    "outcome.nan-prob.no-error": ("no error was raised for discard_prob=nan.", "discard_prob=nan 时没有报错。"),
    "word.same_as": ("the same as", "等于"),
    "word.different_from": ("different from", "不同于"),
    "word.was": ("was", "已"),
    "word.was_not": ("was not", "没有"),
    "word.equal": ("equal", "相等"),
    "word.not_equal": ("not equal", "不相等"),
    "word.modified_in_place": ("modified in place", "被原地修改"),
    "word.unchanged": ("unchanged", "未改变"),
    "word.is": ("is", "就是"),
    "word.is_not": ("is not", "不是"),
    "word.left_masked": ("left masked but not rescaled", "已被掩码但未重新缩放"),
    "word.left_as_it_was": ("left as it was", "保持原样"),
    "word.no_warning": ("no warning", "无警告"),
    "word.check_let_nan_through": (
        "the function's own range check let NaN through; the error comes from numpy's binomial sampler, not from "
        "the check.",
        "函数自身的范围检查放过了 NaN；错误来自 numpy 的二项分布采样器，而不是该检查。",
    ),
    "word.check_caught_it": ("the function's own check caught it.", "函数自身的检查拦住了它。"),
}
