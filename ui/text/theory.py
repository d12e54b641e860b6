"""English / 中文 text of the Theory page: ``TEXT = {key: (en, zh)}``."""

TEXT = {
    "intro": (
        "Every formula of the lecture's mathematics, checked with your own numbers. "
        "p is always the probability of **keeping** a unit (the paper's p). Inputs are "
        "bounded; a value out of range is refused with a message and nothing else changes.",
        "讲义中的每个数学公式，都可以用你自己的数字验证。p 始终表示**保留**单元的概率（论文的 p）。"
        "输入均有范围限制；超出范围的值会被拒绝并给出提示，其余内容不受影响。",
    ),
    "sec_bs": (
        "1. Dropout as a regularizer (Baldi & Sadowski 2013)",
        "1. Dropout 是一种正则（Baldi 与 Sadowski 2013）",
    ),
    "sec_ridge": ("2. Ridge equivalence for linear regression", "2. 线性回归与岭回归的等价"),
    "sec_numpy": ("3. The lecture's numpy function", "3. 讲义中的 numpy 函数"),
    "sec_masks": ("4. Dropout vs DropConnect masks", "4. Dropout 与 DropConnect 的掩码"),
    "sec_nwgm": ("5. Weight scaling for a logistic unit (NWGM)", "5. logistic 单元的权重缩放（NWGM）"),
    "keep_p": ("keep probability p (paper)", "保留概率 p（论文）"),
    "torch_p": ("= PyTorch nn.Dropout(p={p:g})", "= PyTorch nn.Dropout(p={p:g})"),
    "seed": ("seed", "随机种子"),
    "half_note": (
        "$E_R$ is written here **with the ½** on the penalty. The lecture's slide leaves the ½ "
        "out; the ½ is correct: with it $E_R = E[E_D]$ exactly and "
        "$\\partial E_R/\\partial w_i = E[\\partial E_D/\\partial w_i]$; without it the penalty's "
        "gradient would be doubled (Baldi & Sadowski 2013).",
        "此处 $E_R$ 的正则项**带有 ½**。讲义幻灯片漏掉了 ½；带 ½ 才正确：此时 $E_R = E[E_D]$ 严格成立，且 "
        "$\\partial E_R/\\partial w_i = E[\\partial E_D/\\partial w_i]$；若没有 ½，正则项的梯度会翻倍"
        "（Baldi 与 Sadowski 2013）。",
    ),
    "bad_input": ("{msg}. The last valid values are used.", "{msg}。已使用上一次的有效值。"),
    # 1 Baldi-Sadowski
    "bs_body": (
        "One linear unit $O = \\sum_i w_i I_i$, target t, masks $\\delta_i \\sim "
        "\\text{Bernoulli}(p_i)$. The Monte-Carlo average of the dropout gradient "
        "$\\partial E_D/\\partial w_i$ over sampled masks, with its 99 % confidence band, "
        "converges to the analytic value:",
        "单个线性单元 $O = \\sum_i w_i I_i$，目标 t，掩码 $\\delta_i \\sim \\text{Bernoulli}(p_i)$。"
        "对采样的掩码求 Dropout 梯度 $\\partial E_D/\\partial w_i$ 的蒙特卡洛平均（附 99 % 置信带），"
        "它收敛到解析值：",
    ),
    "bs_n": ("n (inputs, 1–10)", "n（输入个数，1–10）"),
    "bs_new": ("New random I, w, p", "随机生成新的 I、w、p"),
    "bs_I": ("inputs I (n numbers in [−10, 10])", "输入 I（n 个数，范围 [−10, 10]）"),
    "bs_w": ("weights w (n numbers in [−10, 10])", "权重 w（n 个数，范围 [−10, 10]）"),
    "bs_p": (
        "keep probabilities p_i (n numbers in [0, 1], or one for all)",
        "保留概率 p_i（n 个数，范围 [0, 1]，或一个数表示全部相同）",
    ),
    "bs_t": ("target t", "目标 t"),
    "bs_samples": ("Monte-Carlo samples (100–50,000)", "蒙特卡洛样本数（100–50,000）"),
    "bs_weight": ("show weight i", "显示权重 i"),
    "bs_fig_title": (
        "Monte-Carlo estimate of E[∂E_D/∂w_{i}] as samples grow",
        "E[∂E_D/∂w_{i}] 的蒙特卡洛估计随样本数的变化",
    ),
    "bs_x": ("number of sampled masks", "采样的掩码个数"),
    "bs_mc": ("MC running mean", "MC 累计平均"),
    "bs_band": ("99 % confidence band", "99 % 置信带"),
    "bs_analytic": ("analytic ∂E_N/∂w_i + w_i p_i(1−p_i) I_i²", "解析值 ∂E_N/∂w_i + w_i p_i(1−p_i) I_i²"),
    "bs_ens": ("∂E_N/∂w_i alone (no penalty)", "仅 ∂E_N/∂w_i（无惩罚项）"),
    "bs_metric_analytic": ("analytic E[∂E_D/∂w_{i}]", "解析值 E[∂E_D/∂w_{i}]"),
    "bs_metric_mc": ("MC mean ± 99 % CI ({n:,} samples)", "MC 平均 ± 99 % 置信区间（{n:,} 个样本）"),
    "bs_metric_er": ("E_R (with the ½) = E[E_D]", "E_R（带 ½）= E[E_D]"),
    "col_i": ("i", "i"),
    "col_analytic": ("analytic", "解析值"),
    "col_ensemble": ("∂E_N/∂w_i", "∂E_N/∂w_i"),
    "col_penalty": ("w_i p_i(1−p_i) I_i²", "w_i p_i(1−p_i) I_i²"),
    "col_mc": ("MC mean", "MC 平均"),
    "col_ci": ("± 99 % CI", "± 99 % 置信区间"),
    "col_inside": ("analytic inside CI", "解析值在区间内"),
    "bs_inside": (
        "{k} of {n} analytic values lie inside their 99 % interval (about 1 in 100 may fall outside by chance).",
        "{n} 个解析值中有 {k} 个落在各自的 99 % 置信区间内（约百分之一可能偶然落在区间外）。",
    ),
    "er_title": ("E_R, with the ½", "E_R（带 ½）"),
    "pen_title": (
        "Penalty factor: p(1 − p) on w is largest at p = 0.5; (1 − p)/p on the test weights p·w grows as p falls",
        "惩罚系数：对 w 的 p(1 − p) 在 p = 0.5 时最大；对测试权重 p·w 的 (1 − p)/p 随 p 减小而增大",
    ),
    "pen_note": (
        "p(1 − p) measures the penalty for fixed training-time weights w only. The net predicts with p·w, "
        "and for those the factor is (1 − p)/p (λ = 1, 4, 9 at p = 0.5, 0.2, 0.1): a smaller p always "
        "regularizes the test-time weights more, as in the ridge section below and the paper's Figure 9a "
        "(p < 0.3 under-fits).",
        "p(1 − p) 只在训练时权重 w 固定时衡量惩罚大小。网络预测时用的是 p·w，对它们系数为 (1 − p)/p"
        "（p = 0.5、0.2、0.1 时 λ = 1、4、9）：p 越小，对测试时权重的正则越强，与下面的岭回归一节及论文图 9a"
        "（p < 0.3 时欠拟合）一致。",
    ),
    "pen_marked": ("your p_i", "你的 p_i"),
    # 2 ridge
    "ridge_body": (
        "A generated regression problem $y = Xw_{true} + \\text{noise}$ whose columns have "
        "different scales. Linear regression trained by SGD with fresh Bernoulli masks on "
        "the inputs ($R * X$) converges to the closed-form minimizer of the expected loss "
        "(paper §9.1, the lecture's 实现原理):",
        "生成一个回归问题 $y = Xw_{true} + \\text{噪声}$，各列尺度不同。对输入施加新的伯努利掩码"
        "（$R * X$）并用 SGD 训练线性回归，它收敛到期望损失的闭式最小点（论文 §9.1，讲义“实现原理”）：",
    ),
    "ridge_rows": ("examples (20–1,000)", "样本数（20–1,000）"),
    "ridge_cols": ("features (1–10)", "特征数（1–10）"),
    "ridge_noise": ("noise", "噪声"),
    "ridge_steps": ("SGD steps (500–8,000)", "SGD 步数（500–8,000）"),
    "ridge_work": (
        "examples × steps is limited to {work:,} to keep this section fast: {rows:,} examples "
        "allow at most {allowed:,} steps, so {allowed:,} are run instead of {steps:,}.",
        "为保证本节响应迅速，样本数 × 步数不超过 {work:,}：{rows:,} 个样本最多允许 {allowed:,} 步，"
        "因此实际运行 {allowed:,} 步而不是 {steps:,} 步。",
    ),
    "ridge_scaling": ("masks during training", "训练时的掩码"),
    "ridge_ws": ("R * X (original; converges to w*)", "R * X（原始；收敛到 w*）"),
    "ridge_inv": ("R * X / p (inverted; converges to w̃ = p·w*)", "R * X / p（反向；收敛到 w̃ = p·w*）"),
    "ridge_conv_title": ("Distance of SGD to the closed form", "SGD 与闭式解的距离"),
    "ridge_step": ("SGD step", "SGD 步数"),
    "ridge_avg": ("averaged iterate (Polyak)", "平均迭代（Polyak）"),
    "ridge_last": ("raw iterate", "原始迭代"),
    "ridge_1pc": ("1 % relative error", "1 % 相对误差"),
    "ridge_weights_title": ("Weights side by side", "权重并列比较"),
    "ridge_value": ("value", "取值"),
    "ridge_weight": ("weight", "权重"),
    "ridge_sgd": ("SGD with masks", "带掩码的 SGD"),
    "ridge_w": ("closed form w*", "闭式解 w*"),
    "ridge_wt": ("w̃ = p·w*", "w̃ = p·w*"),
    "ridge_ls": ("least squares", "最小二乘"),
    "ridge_true": ("true w", "真实 w"),
    "ridge_metric_rel": ("SGD vs closed form (relative error)", "SGD 与闭式解（相对误差）"),
    "ridge_metric_ls": ("test weights w̃ vs least squares (relative)", "测试权重 w̃ 与最小二乘（相对差）"),
    "ridge_metric_lr": ("initial learning rate", "初始学习率"),
    "ridge_table_caption": (
        "At p = 1 the dropout solution is plain least squares. The penalty ((1 − p)/p)·Σ Γ_jj² w̃_j² is "
        "ordinary ridge on the columns rescaled to unit energy, so how much a weight shrinks does not "
        "depend on its column's scale: with orthogonal columns every weight shrinks by the same factor p. "
        "Here the columns are correlated, so the shrink ratios w̃_j / least squares_j differ, but not in the "
        "order of Γ_jj.",
        "p = 1 时 Dropout 的解就是普通最小二乘。惩罚项 ((1 − p)/p)·Σ Γ_jj² w̃_j² 等于把各列缩放到单位能量后的"
        "普通岭回归，因此权重被收缩多少不取决于其所在列的尺度：若各列正交，每个权重都按同一因子 p 收缩。"
        "这里各列相关，所以收缩比 w̃_j / 最小二乘_j 各不相同，但并不按 Γ_jj 的大小排列。",
    ),
    "ridge_shrink": ("shrink ratio w̃_j / least squares_j", "收缩比 w̃_j / 最小二乘_j"),
    "gamma": ("Γ_jj² = (XᵀX)_jj", "Γ_jj² = (XᵀX)_jj"),
    # 3 numpy
    "numpy_body": (
        "The lecture's function exactly as printed (left) and dropviz's reference "
        "`dropout(x, keep_p, rng)` (right), run on the same input. The lecture's function "
        "runs on a copy standing for your array, and numpy's global random state is "
        "restored afterwards.",
        "左侧为讲义中原样照录的函数，右侧为 dropviz 的参考实现 `dropout(x, keep_p, rng)`，"
        "两者在同一输入上运行。讲义函数在代表你的数组的副本上运行，之后会恢复 numpy 的全局随机状态。",
    ),
    "np_x": ("x (1–20 numbers)", "x（1–20 个数）"),
    "np_int": ("as an integer array", "作为整数数组"),
    "np_discard": ("discard_prob (lecture) = 1 − p", "discard_prob（讲义）= 1 − p"),
    "np_lecture": ("Lecture (函数实现)", "讲义（函数实现）"),
    "np_reference": ("dropviz reference", "dropviz 参考实现"),
    "np_before": ("your x before", "调用前的 x"),
    "np_after": ("your x after", "调用后的 x"),
    "np_result": ("returned", "返回值"),
    "np_raised": ("raised", "抛出异常"),
    "np_warn": ("warnings", "警告"),
    "np_same": ("returned array is your x: {v}", "返回的数组就是你的 x：{v}"),
    "np_defects": ("Each defect, demonstrated", "逐个演示缺陷"),
    "np_code": ("code that was run", "实际运行的代码"),
    "np_outcome": ("what happened", "实际结果"),
    # 4 masks
    "masks_body": (
        "One weight matrix W (n_out × n_in) and the same keep probability. Dropping an "
        "input unit removes a column of W, dropping an output unit removes a row; "
        "DropConnect keeps each weight independently.",
        "同一个权重矩阵 W（n_out × n_in），同一个保留概率。丢弃一个输入单元会去掉 W 的一列，"
        "丢弃一个输出单元会去掉一行；DropConnect 对每个权重独立地决定是否保留。",
    ),
    "m_out": ("n_out (1–32)", "n_out（1–32）"),
    "m_in": ("n_in (1–32)", "n_in（1–32）"),
    "m_outputs": ("also drop the layer's output units (rows)", "同时丢弃该层的输出单元（行）"),
    "m_resample": ("Re-sample masks", "重新采样掩码"),
    "m_dropout": ("dropout: rows and columns", "Dropout：行与列"),
    "m_dropconnect": ("DropConnect: independent entries", "DropConnect：逐元素独立"),
    "m_title": ("Effective masks on W (dark = kept)", "W 上的有效掩码（深色 = 保留）"),
    "m_in_unit": ("input unit j", "输入单元 j"),
    "m_out_unit": ("output unit i", "输出单元 i"),
    "m_count_do": ("dropout: mask draws", "Dropout：掩码种数"),
    "m_count_do_distinct": ("dropout: distinct weight patterns", "Dropout：不同的权重模式"),
    "m_count_dc": ("DropConnect: mask draws (all distinct)", "DropConnect：掩码种数（互不相同）"),
    "m_density": (
        "kept fraction of W in this draw: dropout {a:.2f}, DropConnect {b:.2f} (expected {ea:.2f} and {eb:.2f})",
        "本次采样中 W 的保留比例：Dropout {a:.2f}，DropConnect {b:.2f}（期望 {ea:.2f} 与 {eb:.2f}）",
    ),
    # 5 NWGM
    "nwgm_body": (
        "One logistic unit $O = \\sigma(\\sum_i \\delta_i w_i I_i + b)$. The normalized "
        "weighted geometric mean of all $2^n$ sub-networks, $G/(G + G')$ with "
        "$G = \\prod_k O_k^{P_k}$ and $G' = \\prod_k (1 - O_k)^{P_k}$, equals σ of the mean "
        "input $\\sigma(\\sum_i p_i w_i I_i + b)$ — the weight-scaled network — exactly. The "
        "arithmetic mean of the sub-networks is close but not equal.",
        "单个 logistic 单元 $O = \\sigma(\\sum_i \\delta_i w_i I_i + b)$。全部 $2^n$ 个子网络的归一化"
        "加权几何平均 $G/(G + G')$（其中 $G = \\prod_k O_k^{P_k}$，$G' = \\prod_k (1 - O_k)^{P_k}$）"
        "严格等于平均输入的 σ 值 $\\sigma(\\sum_i p_i w_i I_i + b)$——即权重缩放后的网络。"
        "子网络的算术平均与之接近，但并不相等。",
    ),
    "nw_n": ("n (inputs, 1–16; 2ⁿ sub-networks)", "n（输入个数，1–16；2ⁿ 个子网络）"),
    "nw_scale": ("weight scale", "权重尺度"),
    "nw_bias": ("bias b", "偏置 b"),
    "nw_nwgm": ("NWGM (enumeration)", "NWGM（枚举）"),
    "nw_scaled": ("σ(mean input)", "σ(平均输入)"),
    "nw_arith": ("arithmetic mean", "算术平均"),
    "nw_diff": ("|NWGM − σ(mean input)|", "|NWGM − σ(平均输入)|"),
    "nw_diff_arith": ("|arithmetic − NWGM|", "|算术平均 − NWGM|"),
    "nw_title": (
        "Outputs of all 2^{n} = {m:,} sub-networks (probability-weighted)",
        "全部 2^{n} = {m:,} 个子网络的输出（按概率加权）",
    ),
    "nw_x": ("sub-network output", "子网络输出"),
    "nw_y": ("probability", "概率"),
    "nw_hist": ("sub-networks", "子网络"),
}
