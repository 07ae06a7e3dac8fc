"""minsheng (民生): monthly progress pipeline for a county's livelihood projects."""

__version__ = "0.1.0"
