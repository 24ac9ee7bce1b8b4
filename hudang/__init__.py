"""hudang (户档): one archive per household for 物业客服中心 records."""

__version__ = "0.1.0"
