"""What each experiment preset changes relative to the paper, in English and 中文: a text table, in the engine
because ``python -m dropviz experiment --list`` prints it (the pip-installed engine has no ui/); the
Experiments page shows the same table."""

from __future__ import annotations

PRESET_NOTES = {
    "quick": (
        "Minutes on a 2-core CPU, for a class: 2 hidden layers of 128 ReLU units (Figure 4: 1-3 x 64/128, "
        "the paper: 2-4 x 1024/2048; Figure 9: 3 x 128, p x n = 32/32/64), at most 1,500 weight updates per "
        "run (batch 100), 5,000 training examples (of which 1/6 validation) and 5,000 test images (Figure 10: "
        "subsets of 100..10K, no 50K), 2 seeds (Table 10: 3), MC k up to 50, per-mini-batch DropConnect "
        "masks. Learning-rate grid 0.01 / 0.03 / 0.1 (3 runs per trial), momentum 0.9, no max-norm except "
        "in its own Table 2 row (the paper: max-norm on every dropout net)."
    ),
    "standard": (
        "Tens of minutes on a 2-core CPU (estimated, not measured): 2 x 512 units (Figure 4: 1-3 x "
        "256/512, the paper: 2-4; Figure 9: 3 x 512, p x n = 64/64/128, Figure 10: 512-512-1024), at most "
        "3,000 updates, 20,000 training examples (of which 1/6 validation; Figure 10: up to 50K) and the "
        "full test set, 3 seeds (Table 10: 5), per-mini-batch DropConnect masks. The paper's recipe where "
        "it can: momentum 0.95 (the paper raises it to 0.99 over training; here it is constant), max-norm "
        "c = 3 on every dropout net except Table 2's 'dropout' rows without it, learning-rate grid "
        "0.01 / 0.03 / 0.1 / 0.3 (4 runs per trial)."
    ),
    "paper": (
        "The paper's sizes and lengths (for a GPU or a Ray cluster): 3 x 1024 dropout nets and "
        "2 x 800 standard nets for Table 2, 2-4 hidden layers x 1024/2048 for Figure 4, "
        "784-2048-2048-2048-10 for Figure 9, 784-1024-1024-2048-10 for Figure 10, 2 x 1024 for Table 10, "
        "all training images (50K train / 10K validation on MNIST, the paper's split), at most 1M weight "
        "updates (Figure 10: 200K, a length the paper does not state), 3 seeds, per-example DropConnect masks. "
        "The paper's recipe where it can: momentum 0.95 (constant; the paper raises it to 0.99), max-norm "
        "c = 3 on every dropout net except Table 2's 'dropout' rows without it, learning-rate grid "
        "0.003 .. 1.0 in half-decades (6 runs per trial) in place of the paper's unstated per-net choices; "
        "no learning-rate decay."
    ),
    "tiny": (
        "Seconds, for tests and smoke runs: 2 x 16 units, at most 30 updates, 300 training / 200 test "
        "examples, 2 seeds, learning-rate grid 0.03 / 0.1, patience 2."
    ),
}
PRESET_NOTES_ZH = {
    "quick": (
        "在 2 核 CPU 上几分钟，适合课堂：2 个隐藏层各 128 个 ReLU 单元（图 4：1-3 层 × 64/128，论文为 2-4 层 × "
        "1024/2048；图 9：3 × 128，p × n = 32/32/64），每次训练最多 1,500 次权重更新（批量 100），5,000 个训练样本"
        "（其中 1/6 作验证集）与 5,000 张测试图像（图 10：100..10K 的子集，没有 50K），2 个种子（表 10：3 个），"
        "MC 的 k 最大 50，DropConnect 每个小批量一个掩码。学习率网格 0.01 / 0.03 / 0.1（每个试验 3 次训练），"
        "动量 0.9，除表 2 中专门的一行外不用 max-norm（论文：每个 Dropout 网络都用 max-norm）。"
    ),
    "standard": (
        "在 2 核 CPU 上几十分钟（估计，未实测）：2 × 512 个单元（图 4：1-3 层 × 256/512，论文为 2-4 层；"
        "图 9：3 × 512，p × n = 64/64/128；图 10：512-512-1024），最多 3,000 次更新，20,000 个训练样本"
        "（其中 1/6 作验证集；图 10 最多 50K）与完整测试集，3 个种子（表 10：5 个），DropConnect 每个小批量一个掩码。"
        "尽量按论文的做法：动量 0.95（论文在训练中把它升到 0.99，这里保持不变），除表 2 中不带 max-norm 的"
        "“dropout”行外每个 Dropout 网络都用 max-norm c = 3，学习率网格 0.01 / 0.03 / 0.1 / 0.3（每个试验 4 次训练）。"
    ),
    "paper": (
        "论文的规模与训练长度（用于 GPU 或 Ray 集群）：表 2 为 3 × 1024 的 Dropout 网络与 2 × 800 的标准网络，"
        "图 4 为 2-4 个隐藏层 × 1024/2048，图 9 为 784-2048-2048-2048-10，图 10 为 784-1024-1024-2048-10，"
        "表 10 为 2 × 1024，全部训练图像（MNIST 上 50K 训练 / 10K 验证，与论文相同的划分），最多 1M 次权重更新"
        "（图 10：200K，论文未说明其长度），3 个种子，DropConnect 每个样本一个掩码。尽量按论文的做法：动量 0.95"
        "（保持不变；论文升到 0.99），除表 2 中不带 max-norm 的“dropout”行外每个 Dropout 网络都用 max-norm c = 3，"
        "学习率网格 0.003 .. 1.0（半个数量级一档，每个试验 6 次训练），代替论文未说明的逐网络选择；不做学习率衰减。"
    ),
    "tiny": "几秒钟，用于测试与冒烟运行：2 × 16 个单元，最多 30 次更新，300 个训练 / 200 个测试样本，2 个种子，学习率网格 0.03 / 0.1，耐心 2。",
}
COMMON_NOTE = (
    "All presets, for every condition and both arms (with and without dropout) alike: 1/6 of the "
    "training examples held out as a validation set (never the test set); each learning rate of the "
    "preset's grid trains for at most the preset's number of updates and stops early after 5 "
    "evaluations (2 in tiny) without a better validation error; the learning rate and the stopping "
    "point with the lowest validation error are chosen and shown in the results table, with that "
    "checkpoint's train and test error. SGD with momentum, batch 100, keep p = 0.5 hidden / 0.8 input "
    "(Figure 9: no input dropout), max-norm c = 3 (the paper's c: on W/p under inverted scaling) where "
    "used. The grids were fixed before any result of this protocol was seen."
)
COMMON_NOTE_ZH = (
    "所有预设中，每个条件、有无 Dropout 两组都一样：留出 1/6 的训练样本作验证集（从不使用测试集）；预设网格中"
    "的每个学习率最多训练预设的更新次数，并在连续 5 次评估（tiny 为 2 次）验证误差没有改进时提前停止；"
    "选出验证误差最低的学习率与停止点，显示在结果表中，同时给出该检查点的训练与测试误差。带动量的 SGD，"
    "批量 100，保留概率 p = 0.5（隐藏层）/ 0.8（输入）（图 9：输入不做 Dropout），需要时 max-norm c = 3"
    "（论文的 c：反向缩放时约束 W/p）。网格在看到本协议的任何结果之前就已确定。"
)
