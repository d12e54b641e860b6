"""Text of the Playground's link handling (ui/playground_sidebar.py): ``TEXT = {key: (english, chinese)}``."""

TEXT = {
    "link_fitted_step": (
        "{field}: {value} from the link is shown as {used}, the nearest value the slider offers "
        "(steps of {step}); {used} is used.",
        "{field}：链接中的 {value} 显示为滑块上最接近的值 {used}（步长 {step}）；使用 {used}。",
    ),
    "link_fitted_low": (
        "{field}: {value} from the link is below the smallest value the widget offers; {used} is used.",
        "{field}：链接中的 {value} 小于控件允许的最小值；使用 {used}。",
    ),
    "link_fitted_high": (
        "{field}: {value} from the link is above the largest value the widget offers; {used} is used.",
        "{field}：链接中的 {value} 大于控件允许的最大值；使用 {used}。",
    ),
    "link_unused_noise": (
        "noise: {value} from the link applies to the 2D toy data sets only; not used for {dataset}.",
        "noise：链接中的 {value} 只适用于二维玩具数据集；{dataset} 不使用它。",
    ),
    "link_unused_mask": (
        "dropconnect_mask: {value} from the link applies to DropConnect only; not used for {method}.",
        "dropconnect_mask：链接中的 {value} 只适用于 DropConnect；{method} 不使用它。",
    ),
    "link_no_cuda": (
        "device: cuda from the link, but this server has no CUDA GPU; auto (the CPU) is used.",
        "device：链接要求 cuda，但本服务器没有 CUDA GPU；改用 auto（CPU）。",
    ),
}
