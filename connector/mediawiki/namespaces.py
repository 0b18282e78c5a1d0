"""Community namespaces: their names and the LocalSettings.php snippet that declares them.

The MediaWiki API cannot create a namespace, so an administrator pastes the snippet printed by
`cop mediawiki namespaces`; provisioning then checks through the API that it exists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib.resources import files

from connector.errors import ValidationError

PREFIX = "CoP_"

_HEADER = """\
# --- cop-connector: community namespaces (printed by `cop mediawiki namespaces`) ---
# Paste at the end of LocalSettings.php, or save as a file that LocalSettings.php includes.
# Pasting it twice is harmless (a repeated content namespace is ignored). Namespace numbers
# must never change once pages exist (the pages would be orphaned), and each pair (even
# number: pages, odd number: talk pages) must be free on this wiki.

# What members need (all three ship with MediaWiki): VisualEditor, whose Insert > Template
# shows each row template as a form; TemplateData, which gives those forms their labels;
# ParserFunctions, with which the row templates show a member what is wrong with a row.
# Loading an extension a second time is harmless.
wfLoadExtension( 'ParserFunctions' );
wfLoadExtension( 'TemplateData' );
wfLoadExtension( 'VisualEditor' );
"""

ADD_ROW_MODULE = "ext.copConnector.addRow"
_JS_END = "COP_ADD_ROW_JS"  # the nowdoc's terminator: never a line of the script

_ADD_ROW = """
# The "Add ..." buttons of the community pages: this script makes them open the visual editor
# with a new, empty entry at the end of the page's list and its form open. Without it (or
# without JavaScript) they open the source editor with an empty entry to fill in.
$wgResourceModules['{module}'] = [
	'packageFiles' => [ [ 'name' => 'addRow.js', 'content' => <<<'{end}'
{script}{end}
	] ],
	'dependencies' => [ 'mediawiki.util', 'mediawiki.Title', 'user.options' ],
];
"""

_ADD_ROW_HOOK = """
# The script of the "Add ..." buttons, on the community namespaces.
$wgHooks['BeforePageDisplay'][] = static function ( $out ) {{
	$title = $out->getTitle();
	if ( $title && in_array( $title->getNamespace(), [ {numbers} ], true ) ) {{
		$out->addModules( '{module}' );
	}}
}};
"""


def add_row_script() -> str:
    """The script of the pages' "Add ..." buttons (``add_row.js``, shipped with the package)."""
    return files(__package__).joinpath("add_row.js").read_text(encoding="utf-8")


def namespace_name(slug: str) -> str:
    """The namespace of a community: ``"battery-storage"`` -> ``"CoP_Battery_storage"``,
    ``"h2"`` -> ``"CoP_H2"``, ``"5g"`` -> ``"CoP_5g"`` (the prefix makes any slug a valid
    namespace name, a leading digit included).

    A slug with consecutive hyphens would give a name MediaWiki cannot address (it folds
    ``__`` into ``_``, landing in another namespace): ``cop community add`` refuses those
    slugs, and two names are compared with ``folded``.
    """
    words = slug.replace("-", "_")
    return PREFIX + words[:1].upper() + words[1:]


def talk_namespace(name: str) -> str:
    """The talk namespace declared with a community's namespace (``CoP_H2_talk``)."""
    return name + "_talk"


def folded(name: str) -> str:
    """A namespace name as MediaWiki matches a title's prefix against it: spaces and
    underscores are the same, a run of them counts as one, leading and trailing ones are
    dropped, and case does not matter (``"CoP_Abc__def"`` and ``"cop abc def"`` are the
    same namespace to the wiki)."""
    return re.sub(r"[\s_]+", "_", name).strip("_").lower()


def snippet(entries: Iterable[tuple[str, int, str]], *, add_buttons: bool = True) -> str:
    """A commented, idempotent LocalSettings.php fragment declaring the namespaces.

    ``entries`` are (namespace name, even namespace id, community name) triples; the talk
    namespace takes ``id + 1``. ``add_buttons``: with the script of the pages' "Add ..."
    buttons (a ResourceLoader module whose code is in the snippet itself, so that nothing
    else is copied to the wiki's server, loaded on those namespaces by a hook). Raises
    ValidationError for an odd id or one below 100 (MediaWiki keeps those for itself).
    """
    entries = list(entries)
    blocks = [_HEADER]
    blocks += [_block(name, number, community) for name, number, community in entries]
    if add_buttons and entries:
        blocks.append(_add_row(sorted(number for _, number, _ in entries)))
    return "\n".join(blocks)


def _add_row(numbers: list[int]) -> str:
    script = add_row_script()
    if _JS_END in script.splitlines():
        raise ValueError(f"add_row.js holds the line {_JS_END}")  # a bug of the package
    module = _ADD_ROW.format(module=ADD_ROW_MODULE, end=_JS_END, script=script)
    hook = _ADD_ROW_HOOK.format(module=ADD_ROW_MODULE, numbers=", ".join(map(str, numbers)))
    return module + hook


def check_namespace_id(number: int, *, field: str = "namespace_id") -> None:
    """Even (the pages' namespace; ``number + 1`` is its talk namespace) and at least 100
    (MediaWiki keeps the lower ones). Raises ValidationError naming ``field``."""
    if number < 100 or number % 2:
        raise ValidationError(f"namespace id {number} must be even and at least 100",
                              field=field, value=str(number))


def declaration(name: str, number: int, community: str) -> str:
    """The lines declaring one namespace (a part of ``snippet``): what `cop doctor` tells
    to add when a community's namespace is missing from a wiki that has the rest."""
    return _block(name, number, community)


def _block(name: str, number: int, community: str) -> str:
    check_namespace_id(number, field=f"{name} ({_comment(community)}): namespace_id")
    talk = talk_namespace(name)
    return (
        f"# {_comment(community)}\n"
        f"$wgExtraNamespaces[{number}] = {_php_string(name)};\n"
        f"$wgExtraNamespaces[{number + 1}] = {_php_string(talk)};\n"
        f"$wgNamespacesWithSubpages[{number}] = true;\n"
        f"$wgContentNamespaces[] = {number};\n"
        f"$wgNamespacesToBeSearchedDefault[{number}] = true;\n"
        f"$wgVisualEditorAvailableNamespaces[{number}] = true;\n"
    )


def _php_string(value: str) -> str:
    """A single-quoted PHP literal: only backslash and quote are special there."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _comment(text: str) -> str:
    # A newline would end the comment and let the rest run as PHP; "?>" would leave PHP mode.
    return " ".join(text.split()).replace("?>", "? >")
