"""Fill each dashboard exposure's `url` with its Metabase dashboard URL.

`--write-exposure-urls` edits the exposure YAML in place, line by line, so comments and layout
survive: it replaces the exposure's `url:` line or adds one after its `type:` line. Without the
flag the publisher prints the same lines as a snippet to paste.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from experiment_analytics.metabase.project import ExposureInfo

_logger = logging.getLogger(__name__)

_ITEM = re.compile(r"^(\s*)-\s+name:\s*['\"]?([A-Za-z0-9_]+)['\"]?\s*$")


def snippet(urls: dict[str, str]) -> str:
    return "\n".join(f"  - name: {name}\n    url: {url}" for name, url in sorted(urls.items()))


def write_exposure_urls(
    project_dir: Path, exposures: dict[str, ExposureInfo], urls: dict[str, str]
) -> list[Path]:
    """Set `url:` of each exposure named in `urls`; return the files that changed."""
    by_file: dict[str, dict[str, str]] = {}
    for name, url in urls.items():
        exposure = exposures.get(name)
        if exposure is not None and exposure.url != url:
            by_file.setdefault(exposure.original_file_path, {})[name] = url
    changed = []
    for relative, wanted in by_file.items():
        path = project_dir / relative
        lines = path.read_text().splitlines(keepends=True)
        out: list[str] = []
        index = 0
        while index < len(lines):
            match = _ITEM.match(lines[index])
            if not match or match.group(2) not in wanted:
                out.append(lines[index])
                index += 1
                continue
            indent = len(match.group(1)) + 2
            block = [lines[index]]
            index += 1
            while (
                index < len(lines)
                and (
                    not lines[index].strip()
                    or len(lines[index]) - len(lines[index].lstrip()) >= indent
                )
                and not _ITEM.match(lines[index])
            ):
                block.append(lines[index])
                index += 1
            url_line = f"{' ' * indent}url: {wanted[match.group(2)]}\n"
            slots = [i for i, line in enumerate(block) if re.match(rf"^ {{{indent}}}url:", line)]
            if slots:
                block[slots[0]] = url_line
            else:
                after = next(
                    (i for i, line in enumerate(block) if re.match(rf"^ {{{indent}}}type:", line)),
                    0,
                )
                block.insert(after + 1, url_line)
            out.extend(block)
        path.write_text("".join(out))
        changed.append(path)
        _logger.info("wrote dashboard URLs into %s", path)
    return changed
