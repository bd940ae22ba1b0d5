"""Errors that carry a message meant for the user (in Chinese), as opposed to programming errors."""


class UserError(Exception):
    """A problem the user can act on; str(error) is a complete Chinese sentence."""


class DatabaseError(UserError):
    """The database cannot be opened or used as it is (wrong place, newer than the program, damaged)."""


class PermissionDenied(UserError):
    """The signed-in account (or this installation) may not do or see this."""
