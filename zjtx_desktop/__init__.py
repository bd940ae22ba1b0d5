"""ZJTX Desktop core: the domain model, services, import/export, reports and CLI (never Qt)."""

__version__ = "0.1.0"
APP_NAME = "专精特新企业培育管理系统"
APP_NAME_SHORT = "ZJTX Desktop"
