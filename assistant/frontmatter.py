"""frontmatter: a plan's identity (title, issuer, 文号, date, region) read from its first page.

Used when no metadata file stands beside the document, and to fill the fields such a file
leaves out. Official documents print these in a fixed order: the issuer's letterhead
(“…委员会 文件”), the 文号 (“塔地发改基础〔2023〕17号”), the notice “关于印发《…》的通知”, and
at the end of the cover the issuer again with a date written in Chinese (“二〇二三年二月”).
Only what is printed is taken: a field the front matter lacks stays empty.
"""

from __future__ import annotations

import re

FRONT_CHARS = 3000  # the cover and the notice; the body starts after them
NUMBER = re.compile(r"[\u4e00-\u9fff]{1,16}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,4}\s*号")
NOTICE_TITLE = re.compile(r"关于印发\s*《(.+?)》\s*的通知")
BOOK_TITLE = re.compile(r"《(.+?)》")
TITLE_WORDS = re.compile(r"规划|方案|意见|计划|纲要|办法|通知|行动")
ORGANISATION = re.compile(r"(?:人民政府|委员会|办公厅|办公室|厅|局|部|委|院|政府)$")
LETTERHEAD = re.compile(r"^(.{2,40}?)\s*文件$")
_CN_DIGITS = str.maketrans("〇○ＯO零一二三四五六七八九０１２３４５６７８９", "00000123456789" "0123456789")
_YEAR_CHARS = "〇○ＯO零一二三四五六七八九0-9０-９"
DATE = re.compile(rf"([{_YEAR_CHARS}]{{4}})\s*年\s*([一二三四五六七八九十\d]{{1,3}})\s*月(?:\s*([一二三四五六七八九十\d]{{1,3}})\s*日)?")
REGION = re.compile(r"^(.{1,12}?(?:省|自治区|特别行政区|市|地区|自治州|州|盟|县|区|旗))(?=[“\"「（(]|十四五|关于|人民政府|发展|\d)")
NATIONAL = ("国务院", "国家", "中共中央", "中央")


def front_matter(text: str) -> dict[str, str]:
    """The identity fields the front matter prints: title, issuer, number, date, region."""
    head = text[:FRONT_CHARS]
    lines = [_flat(line) for line in head.splitlines() if line.strip()]
    title = _title(lines)
    fields = {
        "title": title,
        "number": next((line for line in lines[:12] if NUMBER.fullmatch(line)), ""),
        "issuer": _issuer(lines),
        "date": _date(head),
    }
    fields["region"] = region_of(title, fields["issuer"])
    return {k: v for k, v in fields.items() if v}


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _title(lines: list[str]) -> str:
    """The notice's 《…》 or a title line of its own; a 《…》 cited inside a sentence is
    another document."""
    for line in lines[:12]:
        if m := NOTICE_TITLE.fullmatch(line):
            return m.group(1)
    for line in lines[:12]:
        if (m := BOOK_TITLE.fullmatch(line)) and TITLE_WORDS.search(m.group(1)):
            return m.group(1)
    for line in lines[:12]:
        if len(line) <= 60 and TITLE_WORDS.search(line) and not line.endswith(("。", "：", ":")):
            return line
    return lines[0] if lines else ""


def _issuer(lines: list[str]) -> str:
    """The letterhead (“…委员会 文件”), else a short organisation line beside a date."""
    for line in lines[:6]:
        if m := LETTERHEAD.match(line):
            return m.group(1)
    for i, line in enumerate(lines):
        near_date = any(DATE.search(other) for other in lines[max(0, i - 1):i + 2])
        if len(line) <= 30 and ORGANISATION.search(line) and near_date and "。" not in line:
            return DATE.sub("", line) or line
    return ""


def _date(head: str) -> str:
    """The last date of the front matter (the cover's), as 2023-02 or 2023-02-15."""
    found = list(DATE.finditer(head))
    if not found:
        return ""
    year, month, day = found[-1].groups()
    parts = [year.translate(_CN_DIGITS), f"{_count(month):02d}"] + ([f"{_count(day):02d}"] if day else [])
    return "-".join(parts)


def _count(numeral: str) -> int:
    if numeral.isdigit():
        return int(numeral)
    import cn2an

    return int(cn2an.cn2an(numeral, "smart"))


def region_of(title: str, issuer: str = "") -> str:
    """The place a plan is for: the title's leading place name, else the issuer's;
    national documents (国务院, 国家…) have “全国”."""
    for text in (title, issuer):
        if text.startswith(NATIONAL):
            return "全国"
        if m := REGION.match(text.replace("关于", "")):
            return m.group(1)
    return ""
