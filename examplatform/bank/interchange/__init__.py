"""Exchange items with other systems: Moodle GIFT, Moodle XML and IMS QTI 2.1 content packages."""

from examplatform.bank.interchange.gift import export_gift, parse_gift
from examplatform.bank.interchange.moodlexml import export_moodle_xml, parse_moodle_xml
from examplatform.bank.interchange.qti import check_qti_package, export_qti_package

__all__ = [
    "check_qti_package",
    "export_gift",
    "export_moodle_xml",
    "export_qti_package",
    "parse_gift",
    "parse_moodle_xml",
]
