"""tradetrace: customs records to supply-chain and sanctions-exposure intelligence."""

__version__ = "0.1.0"
