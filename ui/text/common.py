"""English / 中文 shared by every page: the app's title, the language switch, the page names."""

COMMON = {
    "app_title": ("dropviz: see what dropout does", "dropviz：看见 Dropout 在做什么"),
    "language": ("Language", "语言"),
    "page_playground": ("Playground", "训练场"),
    "page_coadaptation": ("Co-adaptation", "共适应"),
    "page_inference": ("Inference", "推理"),
    "page_lecture": ("Lecture", "讲义"),
    "page_theory": ("Theory", "理论"),
    "page_experiments": ("Experiments", "实验"),
}
