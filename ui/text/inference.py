"""English / 中文 text of the Inference page: ``TEXT = {key: (en, zh)}``."""

TEXT = {
    "intro": (
        "A dropout net trains an exponential family of thinned networks that share weights. At test time the paper "
        "does not average them: it uses one network with the weights scaled by p (or, with inverted dropout, "
        "unscaled weights). This page measures how good that shortcut is on the current run.",
        "Dropout 网络训练的是共享权重的指数级数量的稀疏子网络。测试时论文并不对它们求平均，而是使用一个权重乘以 p 的网络"
        "（反向 Dropout 则直接使用原权重）。本页在当前运行上测量这一捷径有多好。",
    ),
    "h_mc": (
        "Weight scaling vs Monte-Carlo model averaging (the paper's Figure 11)",
        "权重缩放与蒙特卡洛模型平均（论文图 11）",
    ),
    "n_test": ("test examples", "测试样本数"),
    "max_k": ("largest k", "最大 k"),
    "repeats": ("repeats", "重复次数"),
    "mc_caption": (
        "A pool of {pool} thinned networks is sampled once (one mask per network, shared by all examples); for each k "
        "the predicted class probabilities of k of them are averaged, over {repeats} random orders of the pool "
        "(band: ± 1 sd). At k = {pool} every order uses the whole pool, so the band closes there. "
        "Paper (MNIST): weight scaling 1.05 %, MC ≈1.28 % at k=3, ≈1.10 % at k=9, matching at k≈50.",
        "一次性采样 {pool} 个稀疏子网络（每个网络一个掩码，所有样本共用）；对每个 k 平均其中 k 个网络的类别概率，"
        "并对子网络池的 {repeats} 种随机顺序取平均（阴影：± 1 标准差）。k = {pool} 时每种顺序都用到整个池，所以阴影在那里收拢。"
        "论文（MNIST）：权重缩放 1.05%，MC 在 k=3 时约 1.28%，k=9 时约 1.10%，k≈50 时持平。",
    ),
    "mc_reach": (
        "On these {n} test examples MC averaging first reaches the weight-scaled error ({ws:.2%}) at **k = {k}**; "
        "k = 1 gives {e1:.2%}, k = {kmax} gives {emax:.2%}.",
        "在这 {n} 个测试样本上，MC 平均在 **k = {k}** 时首次达到权重缩放的误差（{ws:.2%}）；"
        "k = 1 时为 {e1:.2%}，k = {kmax} 时为 {emax:.2%}。",
    ),
    "mc_never": (
        "On these {n} test examples MC averaging does not reach the weight-scaled error ({ws:.2%}) up to "
        "k = {kmax} (k = {kmax}: {emax:.2%}); here the deterministic network is at least as good as {kmax} "
        "sampled ones.",
        "在这 {n} 个测试样本上，直到 k = {kmax}，MC 平均都没有达到权重缩放的误差（{ws:.2%}）"
        "（k = {kmax}：{emax:.2%}）；在这里确定性网络至少与 {kmax} 个采样网络一样好。",
    ),
    "mc_nonoise": (
        "The method net has no noise (method 'none' or keep p = 1): every sampled network is the same "
        "network, so there is nothing to average.",
        "该方法网络没有噪声（方法为 none 或 p = 1）：所有采样网络都相同，没有可平均的。",
    ),
    "small_sample": (
        "With only {n} test examples one example is {step:.2%} of error: differences below that are noise.",
        "只有 {n} 个测试样本时，一个样本就是 {step:.2%} 的误差：小于此的差别只是噪声。",
    ),
    "h_scaling": ("Inverted vs original (weight-scaling) dropout", "反向 Dropout 与原始（权重缩放）Dropout"),
    "scaling_md": (
        "Inverted dropout divides kept units by p while training; the original multiplies the weights by p at test "
        "time. Trained on the same seed they draw **identical masks** (same generator, same shapes) and see the "
        "same batches, yet with the same learning rate they are *not* the same training: the weight-scaling net "
        "computes W′(m⊙h) where the inverted one computes W(m⊙h)/p. The two coincide when W′ = W/p at every "
        "step. The gradient with respect to W′ is p times that with respect to W, so SGD (with momentum) keeps "
        "W′ = W/p exactly when the weight-scaling net **starts at W/p and uses learning rate lr/p² on the weights** "
        "(lr on the biases, which are not masked). Max-norm keeps this too: its c is the paper's c on W′ in both "
        "implementations (the inverted net's stored rows are held to p·c). Below both versions are trained on a small run: the "
        "matched one must agree up to float error; the same-lr one only statistically.",
        "反向 Dropout 在训练时把保留的单元除以 p；原始方法在测试时把权重乘以 p。用同一个种子训练时，两者抽到**完全相同的掩码**"
        "（同一生成器、同样的形状），看到同样的小批量，但在相同学习率下它们*并不是*同一个训练过程：权重缩放网络计算 W′(m⊙h)，"
        "反向网络计算 W(m⊙h)/p。只有每一步都满足 W′ = W/p 时两者才一致。对 W′ 的梯度是对 W 梯度的 p 倍，因此当权重缩放网络"
        "**从 W/p 出发、权重学习率取 lr/p²**（偏置不被掩码，仍用 lr）时，SGD（含动量）恰好保持 W′ = W/p。max-norm 也保持这一点："
        "两种实现中 c 都是论文对 W′ 的约束（反向网络存储的各行被限制在 p·c）。下面在一个小运行上"
        "训练两种版本：匹配版必须在浮点误差内一致；相同学习率版只在统计上一致。",
    ),
    "train_both": ("Train both implementations ({what}, {epochs} epochs)", "训练两种实现（{what}，{epochs} 轮）"),
    "training": ("Training 4 small nets...", "正在训练 4 个小网络……"),
    "variant_matched": ("matched (W′₀ = W₀/p, lr/p² on weights)", "匹配（W′₀ = W₀/p，权重学习率 lr/p²）"),
    "variant_same": ("same learning rate, same init", "相同学习率、相同初始化"),
    "scaling_row": (
        "**{v}**: test error {a:.2%} (inverted) vs {b:.2%} (weight-scaling); same predicted class on "
        "{agree:.1%} of test examples; max |Δ probability| = {dp:.2g}, max |Δ logit| = {dl:.2g}.",
        "**{v}**：测试误差 {a:.2%}（反向）对 {b:.2%}（权重缩放）；{agree:.1%} 的测试样本预测类别相同；"
        "最大 |Δ概率| = {dp:.2g}，最大 |Δlogit| = {dl:.2g}。",
    ),
    "scaling_axis_x": ("probability of the inverted net's class: inverted", "反向网络预测类别的概率：反向"),
    "scaling_axis_y": ("weight-scaling", "权重缩放"),
    "h_dc": ("DropConnect inference", "DropConnect 推理"),
    "dc_source": (
        "The current run is not DropConnect, so a built-in DropConnect example is used ({what}).",
        "当前运行不是 DropConnect，因此使用内置的 DropConnect 示例（{what}）。",
    ),
    "dc_caption": (
        "Three ways to use a DropConnect net at test time (Wan et al. 2013): the mean network (weights × p, one "
        "pass); Gaussian moment matching — each unit's input u ~ N(pWv, p(1−p)(W⊙W)(v⊙v)), S samples of a(u) "
        "averaged; and MC over k sampled weight masks (one mask per sampled network). Wan et al. mask the biases "
        "too; dropviz masks only the weights (each unit keeps its bias), a simplification.",
        "DropConnect 网络测试时的三种用法（Wan 等，2013）：均值网络（权重 × p，一次前向）；高斯矩匹配——每个单元的输入 "
        "u ~ N(pWv, p(1−p)(W⊙W)(v⊙v))，对 S 个 a(u) 样本求平均；以及对 k 个采样的权重掩码做 MC（每个采样网络一个掩码）。Wan 等人也对偏置做掩码；"
        "dropviz 只对权重做掩码（每个单元保留其偏置），这是一个简化。",
    ),
    "dc_result": (
        "Mean network {m:.2%}; Gaussian with S = {smax}: {g:.2%}; MC with k = {kmax}: {mc:.2%}.",
        "均值网络 {m:.2%}；高斯 S = {smax}：{g:.2%}；MC k = {kmax}：{mc:.2%}。",
    ),
    "h_unc": ("MC-dropout uncertainty (Gal & Ghahramani 2016)", "MC Dropout 不确定性（Gal & Ghahramani，2016）"),
    "unc_caption": (
        "Dropout kept on at test time, {s} sampled networks per input, their class probabilities averaged. "
        "Inputs are ranked by the **predictive entropy** H of that average (nats): high when the samples are "
        "unsure together (every one says 0.4) and when they disagree. Beside it the **mutual information** "
        "(H minus the samples' mean entropy) is the disagreement part alone: 0 when all samples say the same. "
        "Both are the model's view of itself, not calibrated probabilities of being wrong.",
        "测试时保持 Dropout 开启，每个输入采样 {s} 个网络，并对它们的类别概率取平均。输入按平均分布的**预测熵** H"
        "（单位 nat）排序：样本一致地不确定（每个都给 0.4）或彼此分歧时它都高。旁边的**互信息**（H 减去各样本熵的平均）"
        "只度量分歧部分：所有样本给出相同结果时为 0。两者都是模型对自身的看法，而不是经过校准的出错概率。",
    ),
    "unc_title_decision": ("decision (weight scaling)", "决策（权重缩放）"),
    "unc_title_entropy": ("predictive entropy H (nats)", "预测熵 H（nat）"),
    "unc_title_information": ("mutual information (sample disagreement)", "互信息（样本分歧）"),
    "most": ("most certain (lowest predictive entropy)", "最确定（预测熵最低）"),
    "least": ("least certain (highest predictive entropy)", "最不确定（预测熵最高）"),
    "unc_numbers": (
        "Mean predictive entropy on correctly classified test examples: {a:.3f} nats (mutual information "
        "{c:.3f}); on misclassified ones: {b:.3f} nats (mutual information {d:.3f}).",
        "正确分类的测试样本的平均预测熵：{a:.3f} nat（互信息 {c:.3f}）；错误分类样本：{b:.3f} nat（互信息 {d:.3f}）。",
    ),
    "unc_2d_example": (
        "The current run is not 2-D, so the plane view uses a built-in moons example ({what}).",
        "当前运行不是二维数据，因此平面视图使用内置的 moons 示例（{what}）。",
    ),
    # the Figure 11 chart's traces and axes
    "mcfig.mc": ("MC average of k thinned nets", "k 个子网络的 MC 平均"),
    "mcfig.ws": ("weight scaling", "权重缩放"),
    "mcfig.x": ("k (sampled networks)", "k（采样网络数）"),
    "mcfig.y": ("test error", "测试误差"),
    "mcfig.band": ("± 1 sd over repeats", "± 1 标准差"),
    # the DropConnect inference chart's traces and axes
    "dcfig.mean": ("mean network (W·p)", "均值网络 (W·p)"),
    "dcfig.gauss": ("Gaussian moment matching, S samples per unit", "高斯矩匹配，每单元 S 个样本"),
    "dcfig.mc": ("MC over k sampled weight masks", "对 k 个权重掩码的 MC"),
    "dcfig.x": ("samples (S or k)", "样本数（S 或 k）"),
    "dcfig.y": ("test error", "测试误差"),
}
