"""Every setting of a library, declared once: its key, type, default, label and help.

The defaults the library falls back on (schema.SETTING_DEFAULTS), the checks a written value
passes (`Setting.check`) and the Settings dialog, which makes one field per declaration with
a label, are all built from SETTINGS. Window geometry is not here: it belongs to the machine
and goes to QSettings, so restoring a library backup does not move the windows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import UsageError

DMI = "http://ns.useplus.org/ldf/vocab/DMI-"
DMI_PROHIBITED_AIMLTRAINING = DMI + "PROHIBITED-AIMLTRAINING"
DATA_MINING_VALUES = frozenset(DMI + name for name in (
    "UNSPECIFIED", "ALLOWED", "PROHIBITED-AIMLTRAINING", "PROHIBITED-GENAIMLTRAINING",
    "PROHIBITED-EXCEPTSEARCHENGINEINDEXING", "PROHIBITED", "PROHIBITED-SEECONSTRAINT",
    "PROHIBITED-SEEEMBEDDEDRIGHTSEXPR", "PROHIBITED-SEELINKEDRIGHTSEXPR"))
# what the window offers for the export's statement, in the creator's words (all in the PLUS
# vocabulary above)
DATA_MINING_CHOICES = (
    (DMI + "PROHIBITED-AIMLTRAINING", "Prohibited for AI/ML training (recommended)"),
    (DMI + "PROHIBITED-GENAIMLTRAINING", "Prohibited for generative AI/ML training"),
    (DMI + "PROHIBITED", "Prohibited for all data mining"),
    (DMI + "ALLOWED", "Allowed"),
    (DMI + "UNSPECIFIED", "Not specified"),
)
DEFAULT_CAPTION_MODEL = "gemma-3-270m-q4_k_m"
MAX_THREADS = 64


@dataclass(frozen=True)
class Setting:
    key: str
    type: type  # str, int or bool: what `value()` gives
    default: object
    label: str = ""  # the Settings dialog's label; "" = set elsewhere (not in the dialog)
    help: str = ""  # the field's tooltip
    choices: tuple[tuple[str, str], ...] = ()  # (value, label): a fixed list to pick from
    models: str = ""  # "caption" or "diffusion": the choices are the installed models
    minimum: int = 0
    maximum: int = 0
    consent: bool = False  # changed only through consent, with an audit row and undo
    open: bool = False  # a value outside `choices` (set by another tool) is kept, not refused
    special: str = ""  # what the minimum means, said in its place ("All cores")

    def stored(self, value: object) -> str:
        """The text the settings table keeps for `value`."""
        if self.type is bool:
            return "1" if value else "0"
        return str(value)

    def value(self, text: str) -> object:
        """The typed value of what the table keeps (a damaged entry gives the default)."""
        if self.type is bool:
            return text == "1"
        if self.type is int:
            try:
                return int(text)
            except ValueError:
                return self.default
        return text

    def check(self, text: str) -> str:
        """`text` if it is a value this setting takes; UsageError saying why otherwise."""
        if self.type is int:
            try:
                number = int(text)
            except ValueError:
                raise UsageError(f"{self.key} takes a whole number, not '{text}'") from None
            if not self.minimum <= number <= self.maximum:
                raise UsageError(f"{self.key} takes {self.minimum} to {self.maximum}, "
                                 f"not {number}")
        elif self.type is bool and text not in ("0", "1"):
            raise UsageError(f"{self.key} is on (1) or off (0), not '{text}'")
        elif self.choices and not self.open and text not in dict(self.choices):
            raise UsageError(f"'{text}' is not a value of {self.key}; use one of: "
                             f"{', '.join(dict(self.choices))}")
        return text


SETTINGS = (
    Setting("default_permission", str, "deny", "Default permission",
            "What videos left on Default follow, including every newly imported video. The "
            "change is audited.",
            choices=(("deny", "Deny (recommended)"), ("allow", "Allow")), consent=True),
    Setting("optout", bool, False, consent=True,
            help="The bulk opt-out: on denies every video (the switch in the window)"),
    Setting("likeness", bool, True, "Videos that show a face may be remixed only when I allow "
            "them one by one", "A video in which faces were found, left on Default, is not "
            "remixed whatever the library default says; allowing it yourself still allows it. "
            "The change is audited.", consent=True),
    Setting("data_mining", str, DMI_PROHIBITED_AIMLTRAINING, "Data mining in exports",
            "The PLUS data-mining statement written into the metadata of every exported "
            "remix", choices=DATA_MINING_CHOICES, open=True),
    Setting("caption_model", str, DEFAULT_CAPTION_MODEL, "Caption model",
            "The language model that writes captions (add more in File > Models…)",
            models="caption"),
    Setting("diffusion_model", str, "", "Diffusion model",
            "The model the diffusion style redraws frames with (add or download one in "
            "File > Models…)", models="diffusion"),
    Setting("threads", int, 0, "Model threads", "Threads the local models use; 0 uses every "
            "core", minimum=0, maximum=MAX_THREADS, special=f"All cores ({os.cpu_count() or 1})"),
    # the window's own, per library: what it showed last
    Setting("gui.search", str, ""),
    Setting("gui.filter", str, "all"),
    Setting("gui.last_video", str, ""),
)
BY_KEY = {s.key: s for s in SETTINGS}


def declared(key: str) -> Setting:
    try:
        return BY_KEY[key]
    except KeyError:
        raise UsageError(f"There is no setting '{key}'; the settings are: "
                         f"{', '.join(BY_KEY)}") from None
