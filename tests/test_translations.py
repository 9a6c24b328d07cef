"""Every language says the same things as en.json, and every file keeps hassfest's rules.

Home Assistant reads a custom integration's ``translations/<language>.json`` as it is:
no ``[%key:...%]`` reference is resolved at run time, and a key missing from a language
falls back to English. So en.json must be strings.json with its references resolved,
and each other language must have exactly en.json's keys and, string by string, the
same placeholders (a renamed or dropped one leaves ``{wan_ip}`` or an empty gap in a
repair). hassfest validates strings.json and en.json of a custom integration; the same
rules are applied here to every language (script/hassfest/translations.py in
home-assistant/core: no HTML, no URL, no single-quoted or invalid placeholders, no
reference mixed with text, no surrounding whitespace, no placeholder in a state, keys
only in the sections and steps Home Assistant knows).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import copy
import json
from pathlib import Path
import re
import string
from typing import Any

import homeassistant
import pytest

REPO = Path(__file__).parent.parent
INTEGRATION = REPO / "custom_components" / "plex_remote_doctor"
TRANSLATIONS = INTEGRATION / "translations"
LANGUAGES = sorted(path.stem for path in TRANSLATIONS.glob("*.json"))
OTHER_LANGUAGES = [language for language in LANGUAGES if language != "en"]
FILES = ["strings.json", *(f"translations/{language}.json" for language in LANGUAGES)]
HOME_ASSISTANT = Path(homeassistant.__file__).parent

type Tree = dict[str, Any]
type KeyPath = tuple[str, ...]


def load(name: str) -> Tree:
    tree: Tree = json.loads((INTEGRATION / name).read_text(encoding="utf-8"))
    return tree


def leaves(tree: Tree, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Any]]:
    for key, value in tree.items():
        if isinstance(value, dict):
            yield from leaves(value, (*path, key))
        else:
            yield (*path, key), value


def dotted(path: KeyPath) -> str:
    return ".".join(path)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields Home Assistant fills in (Python's format syntax, as it uses)."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


REFERENCE = re.compile(r"\[%key:([^%\]]+)%\]")


def references(text: str) -> set[str]:
    return set(REFERENCE.findall(text))


def differences(english: Tree, other: Tree) -> list[str]:
    """Why ``other`` is not a complete translation of ``english``; empty when it is."""
    theirs, ours = dict(leaves(english)), dict(leaves(other))
    problems = [f"missing {dotted(path)}" for path in theirs.keys() - ours.keys()]
    problems += [f"not in en.json: {dotted(path)}" for path in ours.keys() - theirs.keys()]
    for path in theirs.keys() & ours.keys():
        source, text = theirs[path], ours[path]
        if not isinstance(text, str) or not text.strip():
            problems.append(f"not a text: {dotted(path)}")
            continue
        try:
            if placeholders(source) != placeholders(text):
                problems.append(
                    f"placeholders of {dotted(path)}: {sorted(placeholders(text))}, "
                    f"en.json has {sorted(placeholders(source))}"
                )
        except ValueError as err:  # an unbalanced brace: Home Assistant could not format it
            problems.append(f"placeholders of {dotted(path)}: {err}")
        if references(source) != references(text):
            problems.append(f"references of {dotted(path)} differ from en.json")
    return sorted(problems)


def resolve(tree: Tree, own: Tree) -> Tree:
    """``tree`` with each ``[%key:...%]`` replaced as Home Assistant's translation build does.

    ``common::...`` points into homeassistant/strings.json, ``component::<domain>::...``
    into that integration's strings.json (this one's: ``own``).
    """

    def lookup(reference: str) -> str:
        section, *rest = reference.split("::")
        if section == "common":
            node: Any = json.loads((HOME_ASSISTANT / "strings.json").read_text())["common"]
        elif section == "component" and rest[0] == INTEGRATION.name:
            node, rest = own, rest[1:]
        elif section == "component":
            node = json.loads((HOME_ASSISTANT / "components" / rest[0] / "strings.json").read_text())
            rest = rest[1:]
        else:
            raise KeyError(reference)
        for key in rest:
            node = node[key]
        assert isinstance(node, str), reference
        return node

    def text(value: str) -> str:
        return REFERENCE.sub(lambda match: lookup(match[1]), value)

    return {
        key: resolve(value, own) if isinstance(value, dict) else text(value) for key, value in tree.items()
    }


# hassfest's rules, one check per rule ------------------------------------------------

URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5):\/\/|www\.)"
    r"[a-z0-9]+([\-\.]{1}[a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(\/.*)?)",
    re.IGNORECASE,
)
HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
SINGLE_QUOTED_PLACEHOLDER = re.compile(r"'{\w+}'")
REFERENCE_WITH_TEXT = re.compile(r"(.+\[%)|(%\].+)")
TRANSLATION_KEY = re.compile(r"^(?!.+[_-]{2})(?![_-])[a-z0-9-_]+(?<![_-])$")
SLUG = re.compile(r"^[a-z0-9_]+$")

SECTIONS = {
    "title", "config", "config_subentries", "options", "preview_features", "selector",
    "device_automation", "system_health", "config_panel", "application_credentials",
    "issues", "entity_component", "device", "entity", "exceptions", "services",
    "conditions", "triggers", "conversation", "common",
}  # fmt: skip
FLOW_KEYS = {"flow_title", "step", "error", "abort", "progress", "create_entry", "initiate_flow"}
STEP_KEYS = {
    "title", "description", "data", "data_description", "menu_options",
    "menu_option_descriptions", "submit", "sections",
}  # fmt: skip
STEP_SECTION_KEYS = {"data", "data_description", "description", "name"}
ENTITY_KEYS = {"name", "state", "state_attributes", "unit_of_measurement"}
SELECTOR_KEYS = {"options", "choices", "unit_of_measurement", "fields"}


def text_problems(text: Any, where: str, *, placeholders_allowed: bool = True) -> list[str]:
    """hassfest's ``validate_translation_value`` for one string."""
    if not isinstance(text, str):
        return [f"{where}: not a string"]
    problems: list[str] = []
    if HTML.search(text):
        problems.append(f"{where}: HTML")
    if SINGLE_QUOTED_PLACEHOLDER.search(text):
        problems.append(f"{where}: placeholder in single quotes")
    try:
        fields = placeholders(text)
    except ValueError:
        problems.append(f"{where}: unbalanced braces")
        fields = set()
    if fields and not placeholders_allowed:
        problems.append(f"{where}: placeholders are not supported here")
    if any(not field.isidentifier() for field in fields):
        problems.append(f"{where}: placeholder not an identifier")
    if REFERENCE_WITH_TEXT.search(text):
        problems.append(f"{where}: reference combined with text")
    if text != text.strip():
        problems.append(f"{where}: leading or trailing whitespace")
    if URL.search(text):
        problems.append(f"{where}: URL (belongs in a placeholder)")
    return problems


def unknown_keys(node: Any, allowed: set[str], where: str) -> list[str]:
    if not isinstance(node, dict):
        return [f"{where}: not a section"]
    return [f"{where}.{key}: not a key Home Assistant knows here" for key in node.keys() - allowed]


def texts(
    node: Any, where: str, *, key_rule: re.Pattern[str] | None = None, placeholders_allowed: bool = True
) -> list[str]:
    """A section of plain strings (``data``, ``error``, selector ``options``, ...)."""
    if not isinstance(node, dict):
        return [f"{where}: not a section"]
    problems: list[str] = []
    for key, value in node.items():
        if key_rule is not None and not key_rule.match(key):
            problems.append(f"{where}.{key}: invalid key")
        problems += text_problems(value, f"{where}.{key}", placeholders_allowed=placeholders_allowed)
    return problems


def flow_problems(flow: Any, where: str) -> list[str]:
    """A config, options or fix flow (hassfest's ``gen_data_entry_schema``)."""
    problems = unknown_keys(flow, FLOW_KEYS, where)
    if not isinstance(flow, dict):
        return problems
    if "flow_title" in flow:
        problems += text_problems(flow["flow_title"], f"{where}.flow_title")
    for name in ("error", "abort", "progress", "create_entry"):
        if name in flow:
            problems += texts(flow[name], f"{where}.{name}")
    if "step" not in flow:
        return [*problems, f"{where}: no step"]
    for step_id, step in flow["step"].items():
        at = f"{where}.step.{step_id}"
        problems += unknown_keys(step, STEP_KEYS, at)
        if not isinstance(step, dict):
            continue
        for name in ("title", "description", "submit"):
            if name in step:
                problems += text_problems(step[name], f"{at}.{name}")
        for name in ("data", "data_description", "menu_options", "menu_option_descriptions"):
            if name in step:
                problems += texts(step[name], f"{at}.{name}")
        problems += described_fields(step, at)
        for section_id, section in step.get("sections", {}).items():
            inner = f"{at}.sections.{section_id}"
            problems += unknown_keys(section, STEP_SECTION_KEYS, inner)
            for name in ("name", "description"):
                if name in section:
                    problems += text_problems(section[name], f"{inner}.{name}")
            for name in ("data", "data_description"):
                if name in section:
                    problems += texts(section[name], f"{inner}.{name}")
            problems += described_fields(section, inner)
    return problems


def described_fields(step: Tree, where: str) -> list[str]:
    """A ``data_description`` describes only fields ``data`` names."""
    extra = set(step.get("data_description", {})) - set(step.get("data", {}))
    return [f"{where}.data_description.{key}: not in data" for key in sorted(extra)]


def rule_problems(tree: Tree) -> list[str]:
    """Where ``tree`` breaks hassfest's translation rules; empty when it keeps them."""
    problems = unknown_keys(tree, SECTIONS, "")
    for name in ("config", "options"):
        if name in tree:
            problems += flow_problems(tree[name], name)
    for key, selector in tree.get("selector", {}).items():
        at = f"selector.{key}"
        problems += unknown_keys(selector, SELECTOR_KEYS, at)
        for name in ("options", "choices", "unit_of_measurement"):
            if name in selector:
                problems += texts(selector[name], f"{at}.{name}", key_rule=TRANSLATION_KEY)
    for platform, entities in tree.get("entity", {}).items():
        for key, entity in entities.items():
            at = f"entity.{platform}.{key}"
            if not SLUG.match(platform) or not TRANSLATION_KEY.match(key):
                problems.append(f"{at}: invalid key")
            problems += unknown_keys(entity, ENTITY_KEYS, at)
            if "name" in entity:
                problems += text_problems(entity["name"], f"{at}.name")
            if "state" in entity:
                problems += texts(
                    entity["state"], f"{at}.state", key_rule=TRANSLATION_KEY, placeholders_allowed=False
                )
    for key, exception in tree.get("exceptions", {}).items():
        at = f"exceptions.{key}"
        if not SLUG.match(key):
            problems.append(f"{at}: invalid key")
        problems += unknown_keys(exception, {"message"}, at)
        if isinstance(exception, dict) and "message" in exception:
            problems += text_problems(exception["message"], f"{at}.message")
    for key, issue in tree.get("issues", {}).items():
        at = f"issues.{key}"
        problems += unknown_keys(issue, {"title", "description", "fix_flow"}, at)
        if not isinstance(issue, dict):
            continue
        problems += text_problems(issue.get("title"), f"{at}.title")
        if ("description" in issue) == ("fix_flow" in issue):
            problems.append(f"{at}: needs a description or a fix_flow, not both")
        if "description" in issue:
            problems += text_problems(issue["description"], f"{at}.description")
        if "fix_flow" in issue:
            problems += flow_problems(issue["fix_flow"], f"{at}.fix_flow")
    return problems


# The tests ---------------------------------------------------------------------------


def test_english_and_the_four_languages_ship() -> None:
    assert set(LANGUAGES) >= {"en", "de", "nl", "fr", "es"}


def test_en_json_is_strings_json_with_references_resolved() -> None:
    """What Home Assistant shows in English is what strings.json says."""
    strings = load("strings.json")
    assert load("translations/en.json") == resolve(strings, strings)


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_language_has_exactly_the_keys_and_placeholders_of_en_json(language: str) -> None:
    assert differences(load("translations/en.json"), load(f"translations/{language}.json")) == []


@pytest.mark.parametrize("name", FILES)
def test_file_keeps_hassfests_translation_rules(name: str) -> None:
    assert rule_problems(load(name)) == []


@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_language_is_translated_not_copied(language: str) -> None:
    """A copy of en.json passes the key test; most strings must differ from English.

    Some are the same in every language (a name, "Router", "OK", "{name}").
    """
    english = dict(leaves(load("translations/en.json")))
    translated = dict(leaves(load(f"translations/{language}.json")))
    same = sorted(dotted(path) for path, text in english.items() if translated.get(path) == text)
    assert len(same) <= len(english) // 10, same


@pytest.mark.parametrize("name", FILES)
def test_file_is_formatted_like_strings_json(name: str) -> None:
    """Two-space JSON in en.json's key order, so a diff shows only what changed."""
    text = (INTEGRATION / name).read_text(encoding="utf-8")
    tree = json.loads(text)
    assert text == json.dumps(tree, indent=2, ensure_ascii=False) + "\n"
    assert [path for path, _ in leaves(tree)] == [
        path for path, _ in leaves(load("translations/en.json")) if path in dict(leaves(tree))
    ]


def test_readme_names_every_language() -> None:
    section = (REPO / "README.md").read_text().split("## Languages", 1)[1].split("\n## ", 1)[0]
    assert sorted(re.findall(r"\(`(\w\w(?:-\w+)?)`\)", section)) == LANGUAGES


# The checks catch what they are for --------------------------------------------------


def _set(path: str, value: Any) -> Callable[[Tree], None]:
    def change(tree: Tree) -> None:
        *parents, last = path.split(".")
        node = tree
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _delete(path: str) -> Callable[[Tree], None]:
    def change(tree: Tree) -> None:
        *parents, last = path.split(".")
        node = tree
        for key in parents:
            node = node[key]
        del node[last]

    return change


CGNAT = "issues.cgnat.description"
CGNAT_TEXT = "WAN **{wan_ip}**, public **{public_ip}**."


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_delete("issues.cgnat.title"), "missing issues.cgnat.title"),
        (_set("issues.cgnat.hint", "Tip"), "not in en.json: issues.cgnat.hint"),
        (_set(CGNAT, "WAN **{wan}**, public **{public_ip}**."), "placeholders of issues.cgnat.description"),
        (_set(CGNAT, "WAN **{wan_ip}**."), "placeholders of issues.cgnat.description"),
        (_set(CGNAT, "WAN **{wan_ip}**, public **{public_ip**."), "placeholders of issues.cgnat.description"),
        (_set(CGNAT, "[%key:common::config_flow::error::cannot_connect%]"), "references of issues.cgnat"),
        (_set(CGNAT, ""), "not a text: issues.cgnat.description"),
        (_set("issues.cgnat", "CGNAT"), "missing issues.cgnat.title"),
    ],
    ids=[
        "key missing",
        "key added",
        "placeholder renamed",
        "placeholder dropped",
        "brace unbalanced",
        "reference added",
        "empty",
        "section became a text",
    ],
)
def test_a_broken_translation_is_caught(change: Callable[[Tree], None], expected: str) -> None:
    english = {"issues": {"cgnat": {"title": "{name} is behind CGNAT", "description": CGNAT_TEXT}}}
    broken = copy.deepcopy(english)
    change(broken)
    assert differences(english, copy.deepcopy(english)) == []
    assert any(expected in problem for problem in differences(english, broken)), differences(english, broken)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_set(CGNAT, "See https://plex.tv/claim for the token"), "URL"),
        (_set(CGNAT, "See www.example.com"), "URL"),
        (_set(CGNAT, "Forward <b>32500</b>"), "HTML"),
        (_set(CGNAT, "WAN {wan_ip} "), "whitespace"),
        (_set(CGNAT, "Your WAN is '{wan_ip}'"), "single quotes"),
        (_set(CGNAT, "WAN {wan ip}"), "identifier"),
        (_set(CGNAT, "WAN {wan_ip"), "unbalanced"),
        (_set(CGNAT, "Then [%key:common::config_flow::error::cannot_connect%]"), "combined"),
        (_set("entity.sensor.diagnosis.state.cgnat", "CGNAT at {wan_ip}"), "not supported here"),
        (_set("entity.sensor.diagnosis.state.Cgnat", "CGNAT"), "invalid key"),
        (_set("selector.router.options.No-router", "None"), "invalid key"),
        (_set("issues.cgnat.fix_flow", {"step": {"init": {"title": "Fix"}}}), "not both"),
        (_delete(CGNAT), "needs a description or a fix_flow"),
        (_set("issues.cgnat.hint", "Tip"), "issues.cgnat.hint: not a key"),
        (_set("entities", {}), ".entities: not a key"),
        (_set("config.step.user.desc", "How?"), "config.step.user.desc: not a key"),
        (_set("config.step.manual.data_description.port", "The port"), "not in data"),
        (_set("config.step.manual.sections.advanced.data_description.port", "Port"), "not in data"),
        (_set("exceptions.invalid_auth.text", "Refused"), "not a key"),
        (_set("options.error.invalid_url", 3), "not a string"),
    ],
)
def test_a_file_breaking_hassfests_rules_is_caught(change: Callable[[Tree], None], expected: str) -> None:
    tree = load("translations/en.json")
    change(tree)
    problems = rule_problems(tree)
    assert any(expected in problem for problem in problems), problems


def test_references_resolve_as_home_assistant_builds_them() -> None:
    strings = {
        "config": {
            "error": {"cannot_connect": "[%key:common::config_flow::error::cannot_connect%]"},
            "abort": {"again": "[%key:component::plex_remote_doctor::config::error::cannot_connect%]"},
        }
    }
    own = {"config": {"error": {"cannot_connect": "Own words"}}}
    assert resolve(strings, own) == {
        "config": {"error": {"cannot_connect": "Failed to connect"}, "abort": {"again": "Own words"}}
    }
