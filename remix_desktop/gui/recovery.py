"""What the window does when the library database is damaged: say so, and offer the newest
good backup (or a new library, the damaged file kept) instead of starting empty."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget

from ..core.backups import newest_good, restore
from ..core.errors import LibraryDamaged, RemixDesktopError
from ..core.home import Home


def damaged_box(home: Home, error: LibraryDamaged, parent: QWidget | None = None) -> QMessageBox:
    """The question, with a Restore button when a good backup exists, otherwise Start new."""
    best = newest_good(home)
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle("The library is damaged")
    box.setText("Remix Desktop's library file is damaged on disk, so it was not opened.")
    if best:
        when = best.taken_at.strftime("%d %B %Y at %H:%M")
        box.setInformativeText(
            f"The newest good backup is from {when} and holds {best.videos} video(s) with "
            f"their permissions. Changes made after it are not in it.\n\nThe damaged file is "
            f"kept in {home.backups}, whichever you choose.")
        restore_button = box.addButton("Restore backup", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(restore_button)
        restore_button.setObjectName("restore")
    else:
        box.setInformativeText(
            f"There is no good backup to restore. You can start a new, empty library; the "
            f"damaged file is kept in {home.backups}.")
        new_button = box.addButton("Start a new library", QMessageBox.ButtonRole.AcceptRole)
        new_button.setObjectName("empty")
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    quit_button.setObjectName("quit")
    box.setEscapeButton(quit_button)
    box.setDetailedText(str(error))
    return box


def recover(home: Home, error: LibraryDamaged, parent: QWidget | None = None,
            *, ask=None) -> bool:
    """Ask, then restore or start empty. False when the creator quits. `ask` (for tests)
    takes the box and returns the objectName of the chosen button."""
    box = damaged_box(home, error, parent)
    if ask is None:
        box.exec()
        clicked = box.clickedButton()
        choice = clicked.objectName() if clicked else "quit"
    else:
        choice = ask(box)
    if choice not in ("restore", "empty"):
        return False
    try:
        restore(home, empty=choice == "empty")
    except (RemixDesktopError, OSError) as exc:
        QMessageBox.critical(parent, "The library could not be restored", str(exc))
        return False
    return True
