"""Errors that are the user's to fix: the CLI prints them as one line and exits non-zero."""


class TradetraceError(Exception):
    """Base class for every error tradetrace reports without a traceback."""


class InputError(TradetraceError):
    """A file, row or column the user gave cannot be used (named in the message)."""


class ProfileError(TradetraceError):
    """No column-mapping profile fits the header, or the user asked for an unknown one."""


class StoreError(TradetraceError):
    """The store cannot be opened or would be left inconsistent."""


class NotFoundError(InputError):
    """What the user named is not there: no entity has that name or id, no statistics
    cover that pair."""


class AmbiguousTargetError(InputError):
    """A name or tax id fits several entities (the message lists them): give an entity id."""


class MissingStepError(StoreError):
    """The store lacks a table an earlier step writes (the message names the command)."""
