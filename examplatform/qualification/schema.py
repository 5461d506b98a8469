"""JSON Schema of the qualification file."""

_TEXT = {
    "type": "object",
    "required": ["pl", "en"],
    "additionalProperties": False,
    "properties": {"pl": {"type": "string", "minLength": 1}, "en": {"type": "string", "minLength": 1}},
}
_METHODS = {
    "type": "array",
    "minItems": 1,
    "uniqueItems": True,
    "items": {"enum": ["T", "S", "I"]},
}
_EDUCATION = {"enum": ["primary", "basic_vocational", "secondary", "higher"]}
_CODE = {"type": "string", "pattern": r"^\d+(\.\d+)*$"}

CRITERION = {
    "type": "object",
    "required": ["code", "pl", "en", "methods"],
    "additionalProperties": False,
    "properties": {
        "code": _CODE,
        "pl": {"type": "string", "minLength": 1},
        "en": {"type": "string", "minLength": 1},
        "methods": _METHODS,
    },
}
OUTCOME = {
    "type": "object",
    "required": ["code", "name", "criteria"],
    "additionalProperties": False,
    "properties": {
        "code": _CODE,
        "name": _TEXT,
        "criteria": {"type": "array", "minItems": 1, "items": CRITERION},
    },
}
SET = {
    "type": "object",
    "required": ["code", "name", "outcomes"],
    "additionalProperties": False,
    "properties": {
        "code": _CODE,
        "name": _TEXT,
        "outcomes": {"type": "array", "minItems": 1, "items": OUTCOME},
    },
}

QUALIFICATION_SCHEMA = {
    "type": "object",
    "required": [
        "code",
        "version",
        "title",
        "kind",
        "prk_level",
        "document",
        "validity",
        "renewal",
        "methods",
        "parts",
        "commission",
        "operator",
        "decision",
        "sets",
    ],
    "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "pattern": r"^\d+$"},
        "version": {"type": "integer", "minimum": 1},
        "version_date": {"type": "string"},
        "title": _TEXT,
        "kind": _TEXT,
        "prk_level": {"type": "integer", "minimum": 1, "maximum": 8},
        "included_in_zsk": {"type": "string"},
        "functioning_since": {"type": "string"},
        "legal_basis": {"type": "string"},
        "document": _TEXT,
        "workload_hours": {"type": "integer", "minimum": 1},
        "prerequisites": _TEXT,
        "validity": {
            "type": "object",
            "required": ["years"],
            "additionalProperties": False,
            "properties": {"years": {"type": "integer", "minimum": 1, "maximum": 50}},
        },
        "renewal": {
            "type": "object",
            "required": ["min_years_crm_work", "rule"],
            "additionalProperties": False,
            "properties": {"min_years_crm_work": {"type": "number", "minimum": 0}, "rule": _TEXT},
        },
        "methods": {
            "type": "object",
            "required": ["T", "S", "I"],
            "additionalProperties": _TEXT,
        },
        "parts": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["code", "name", "methods", "delivery"],
                "additionalProperties": False,
                "properties": {
                    "code": {"type": "string"},
                    "name": _TEXT,
                    "methods": _METHODS,
                    "delivery": _TEXT,
                },
            },
        },
        "commission": {
            "type": "object",
            "required": ["min_members", "min_education", "min_years_supervising_crm_operators", "rule"],
            "additionalProperties": False,
            "properties": {
                "min_members": {"type": "integer", "minimum": 2},
                "min_education": _EDUCATION,
                "min_years_supervising_crm_operators": {"type": "number", "minimum": 0},
                "may_not_verify_own_trainees": {"type": "boolean"},
                "rule": _TEXT,
            },
        },
        "operator": {
            "type": "object",
            "required": ["min_education", "rule"],
            "additionalProperties": False,
            "properties": {
                "min_education": _EDUCATION,
                "requires_it_skills": {"type": "boolean"},
                "may_be_commission_member": {"type": "boolean"},
                "rule": _TEXT,
            },
        },
        "decision": {
            "type": "object",
            "required": ["require_test_passed", "require_all_criteria_met_for_methods"],
            "additionalProperties": False,
            "properties": {
                "require_test_passed": {"type": "boolean"},
                "require_all_criteria_met_for_methods": _METHODS,
                "negative_requires_justification": {"type": "boolean"},
            },
        },
        "appeals": _TEXT,
        "practical_room": _TEXT,
        "certifying_institutions": {"type": "array", "items": {"type": "string"}},
        "sets": {"type": "array", "minItems": 1, "items": SET},
    },
}
