"""NLM's update files over HTTPS: the folder listing, and each file with its ``.md5``.

The listing URL is a setting (``https://ftp.ncbi.nlm.nih.gov/pubmed/updatefiles/``); its HTML
is read for ``pubmedYYnNNNN.xml.gz`` links. Files go to a temporary name and are renamed when
whole, their modification time set from ``Last-Modified``.
"""

from __future__ import annotations

import os
import re
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin

import requests

from evidence.domain.errors import SourceUnreachableError

_LINK = re.compile(r"""href=["']?(?:[^"'>]*/)?(pubmed\d{2}n\d{4}\.xml\.gz)["'>]""")
TIMEOUT = (10.0, 120.0)


def listed_files(url: str, session: requests.Session | None = None) -> list[str]:
    """The ``pubmed*.xml.gz`` names the listing at ``url`` links to, sorted."""
    http = session or requests.Session()
    try:
        response = http.get(url, timeout=TIMEOUT)
        response.raise_for_status()
    except requests.RequestException as exc:
        raise SourceUnreachableError(f"cannot read the NLM file listing {url}: {exc}") from exc
    return sorted(set(_LINK.findall(response.text)))


def download(url: str, name: str, folder: Path, session: requests.Session | None = None) -> Path:
    """Fetch ``name`` (and ``name.md5`` when the server has it) from ``url`` into ``folder``."""
    http = session or requests.Session()
    target = folder / name
    for file_name, required in ((name, True), (name + ".md5", False)):
        source = urljoin(url if url.endswith("/") else url + "/", file_name)
        part = folder / (file_name + ".part")
        try:
            with http.get(source, timeout=TIMEOUT, stream=True) as response:
                if response.status_code == 404 and not required:
                    continue
                response.raise_for_status()
                with part.open("wb") as out:
                    for chunk in response.iter_content(1 << 20):
                        out.write(chunk)
                modified = response.headers.get("Last-Modified")
        except requests.RequestException as exc:
            part.unlink(missing_ok=True)
            raise SourceUnreachableError(f"cannot download {source}: {exc}") from exc
        part.replace(folder / file_name)
        if modified:
            try:
                stamp = parsedate_to_datetime(modified).timestamp()
                os.utime(folder / file_name, (stamp, stamp))
            except (TypeError, ValueError, OverflowError):
                pass
    return target
