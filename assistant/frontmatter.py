"""frontmatter: a plan's identity (title, issuer, 文号, date, region) read from the document.

Used when no metadata file stands beside the document, and to fill the fields such a file
leaves out. Official documents print these in a fixed order: the issuer's letterhead
(“…委员会 文件”), the 文号 (“塔地发改基础〔2023〕17号”), the notice “关于印发《…》的通知” that
wraps the plan, the signature (one issuer per line, then the date) after the notice or at the
end of the document, and a cover with the issuer and a date written in Chinese (“二〇二三年二月”).
Only what is printed is taken: a field the document lacks stays empty.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

FRONT_CHARS = 3000  # the cover and the notice; the body starts after them
TAIL_CHARS = 1500  # a signature printed after the plan
NUMBER = re.compile(r"[\u4e00-\u9fff]{1,16}\s*[〔\[［【(（]\s*(?:19|20)\d{2}\s*[〕\]］】)）]\s*\d{1,4}\s*号")
# The notice line: issuers (no sentence punctuation), 关于印发, the plan, 的通知, perhaps the addressees.
NOTICE = re.compile(r"^([^，。；、《》“”]{0,80}?)关于印发\s*(.+?)\s*的通知")
ANNEX_TITLE = re.compile(r"^附件\s*\d*\s*[：:]\s*(.+)$")
BOOK_TITLE = re.compile(r"《(.+?)》")
TITLE_WORDS = re.compile(r"规划|方案|意见|计划|纲要|办法|通知|行动")
# A title that runs into the first sentence (“…发展规划本规划依据…”): up to its first title word,
# with a following 纲要 or period in brackets.
LEADING_TITLE = re.compile(r"^(.{4,60}?(?:规划|方案|意见|计划|纲要|办法)(?:纲要)?(?:[（(][^）)]{1,20}[）)])?)")
ORGANISATION = re.compile(r"(?:人民政府|委员会|办公厅|办公室|厅|局|部|委|院|政府|中心|支行|分局)$")
LETTERHEAD = re.compile(r"^(.{2,40}?)\s*文件$")
_CN_DIGITS = str.maketrans("〇○ＯO零一二三四五六七八九０１２３４５６７８９", "00000123456789" "0123456789")
_YEAR_CHARS = "〇○ＯO零一二三四五六七八九0-9０-９"
DATE = re.compile(rf"([{_YEAR_CHARS}]{{4}})\s*年\s*([一二三四五六七八九十\d]{{1,3}})\s*月(?:\s*([一二三四五六七八九十\d]{{1,3}})\s*日)?")
PLACE = re.compile(r"^(.{1,12}?(?:省|自治区|特别行政区|市|地区|自治州|州|盟|县|区|旗))(?=[“\"「（(]|十四五|关于|人民政府|发展|\d)")
LOOSE_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,6}?(?:市|地区|自治州|盟|县))")  # 佛山市绿色建筑…: a place if the body names it often
NATIONAL = ("国务院", "国家", "中共中央", "中央")
GENERIC_ISSUER = re.compile(r"^(?:省|市|区|县|州)(?:人民政府|政府)")  # “省人民政府关于…”: the place is unnamed
BODY_PLACE_MIN = 5  # mentions of one province in the body that make it the plan's region
REGIONS = Path(__file__).resolve().parent / "data" / "regions.toml"


def front_matter(text: str) -> dict[str, str]:
    """The identity fields the document prints: title, issuer, number, date, region."""
    head, tail = text[:FRONT_CHARS], text[-TAIL_CHARS:] if len(text) > FRONT_CHARS else ""
    raw = [line.strip() for line in head.splitlines() if line.strip()]
    lines = [_flat(line) for line in raw]
    title, notice_issuer = _title(raw)
    signature, date = _signature(raw, [line.strip() for line in tail.splitlines() if line.strip()])
    signature = "、".join(_apart(name, region_of(title, "", text)) for name in signature.split("、") if name)
    issuer = (_letterhead(lines) or signature or notice_issuer or _cover_issuer(lines)
              or _issuers(title.split("关于")[0] if "关于" in title else ""))
    fields = {
        "title": title,
        "number": next((line for line in lines[:12] if NUMBER.fullmatch(line)), ""),
        "issuer": issuer,
        "date": date,
    }
    fields["region"] = region_of(title, issuer, text)
    return {k: v for k, v in fields.items() if v}


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _title(raw: list[str]) -> tuple[str, str]:
    """The plan's title and, when a notice wraps it, the notice's issuer: the notice's
    “关于印发…的通知”, an annex line naming the plan, a 《…》 line, a title line of its own
    (or two lines that make one), or a title running into the first sentence. A 《…》 cited
    inside a sentence is another document."""
    lines = [_flat(line) for line in raw[:12]]
    for line, printed in zip(lines, raw, strict=False):
        if m := NOTICE.match(line):
            return _unbook(m.group(2)), _issuers(printed.split("关于印发")[0])
    for line in lines:
        if (m := ANNEX_TITLE.match(line)) and TITLE_WORDS.search(m.group(1)):
            return _unbook(m.group(1)), ""
    for line in lines:
        if (m := BOOK_TITLE.fullmatch(line)) and TITLE_WORDS.search(m.group(1)):
            return m.group(1), ""
    for i, line in enumerate(lines):
        if _title_line(line):
            return line, ""
        joined = line + (lines[i + 1] if i + 1 < len(lines) else "")
        if not TITLE_WORDS.search(line) and "。" not in line and _title_line(joined):
            return joined, ""
    for line in lines[:2]:
        if m := LEADING_TITLE.match(line):
            return m.group(1), ""
    return (lines[0] if lines else ""), ""


def _title_line(line: str) -> bool:
    return (len(line) <= 60 and bool(TITLE_WORDS.search(line)) and not line.endswith(("。", "：", ":"))
            and "，" not in line and bool(re.search(r"(?:规划|方案|意见|计划|纲要|办法|行动)(?:[（(].*[）)])?$", line)))


def _unbook(title: str) -> str:
    return title[1:-1] if title.startswith("《") and title.endswith("》") else title


def _issuers(printed: str) -> str:
    """Issuers printed before 关于印发, side by side (“深圳市生态环境局 深圳市发展和改革委员会”)."""
    names = [n for n in printed.split() if ORGANISATION.search(n)]
    return "、".join(names)


def _letterhead(lines: list[str]) -> str:
    for line in lines[:6]:
        if m := LETTERHEAD.match(line):
            return m.group(1)
    return ""


def _signature(head: list[str], tail: list[str]) -> tuple[str, str]:
    """The signature: a date on a line of its own (or closing the last paragraph), with the
    issuers on the lines just above it (one or several per line). The front matter's first,
    else the document's end."""
    for lines, order in ((head, 1), (tail, -1)):
        for i in range(len(lines))[::order]:
            date = _date_line(_flat(lines[i]))
            if not date:
                continue
            names: list[str] = []
            for other in reversed(lines[:i]):
                pieces = other.split()
                if "。" in other or not all(ORGANISATION.search(p) and len(p) <= 40 for p in pieces):
                    break
                names = pieces + names
            return "、".join(names), date
    return "", ""


def _apart(name: str, place: str) -> str:
    """Issuers printed without a space between them (“佛山市发展和改革局佛山市教育局”), split where
    the next begins with the plan's place, 国家 or 中国; a national body's local branch
    (“国家税务总局佛山市税务局”) stays whole."""
    starts = [re.escape(p) for p in (place, "国家", "中国") if p and p != "全国"]
    pieces, rest = [], name
    while m := re.search(rf"(?<=[局厅部委办室心行会府])(?={'|'.join(starts)})", rest[1:]):
        cut = m.start() + 1
        left = rest[:cut]
        if left.startswith(("国家", "中国")) and place not in left:
            nxt = re.search(rf"(?<=[局厅部委办室心行会府])(?={'|'.join(starts)})", rest[cut + 1:])
            if not nxt:
                break
            cut = cut + 1 + nxt.start()
            left = rest[:cut]
        pieces.append(left)
        rest = rest[cut:]
    return "、".join([*pieces, rest])


def date_of_line(line: str) -> str:
    """The document date a line prints (a cover's, a signature's), as 2022-03-04, or ""."""
    return _date_line(_flat(line))


def _date_line(line: str) -> str:
    """The date a line holds when the line is a date (a cover, a signature) or a paragraph's
    last words; a date inside a sentence (“2020年6月，…”) is the body's, not the document's."""
    found = list(DATE.finditer(line))
    if not found:
        return ""
    m = found[-1]
    rest = line[m.end():].strip("（）()")
    before = line[:m.start()]
    if rest or (before and not before.endswith("。") and not ORGANISATION.search(before)):
        return ""
    year, month, day = m.groups()
    parts = [year.translate(_CN_DIGITS), f"{_count(month):02d}"] + ([f"{_count(day):02d}"] if day else [])
    return "-".join(parts)


def _cover_issuer(lines: list[str]) -> str:
    """A short organisation line beside a date (a cover)."""
    for i, line in enumerate(lines):
        near_date = any(DATE.search(other) for other in lines[max(0, i - 1):i + 2])
        if len(line) <= 30 and ORGANISATION.search(line) and near_date and "。" not in line:
            return DATE.sub("", line) or line
    return ""


def _count(numeral: str) -> int:
    if numeral.isdigit():
        return int(numeral)
    import cn2an

    return int(cn2an.cn2an(numeral, "smart"))


@cache
def provinces() -> dict[str, tuple[str, ...]]:
    """Full name of each provincial-level region -> its short forms (data/regions.toml)."""
    data = tomllib.loads(REGIONS.read_text(encoding="utf-8"))["provinces"]
    return {full: tuple(short) for full, short in data.items()}


def region_of(title: str, issuer: str = "", text: str = "") -> str:
    """The place a plan is for: a province named at the start of its title or issuer, else
    the title's or issuer's leading place name; national documents (国务院, 国家…, a ministry
    with no place) have “全国”. A title that leaves the place unnamed (“省人民政府关于…”) takes
    the province its body names most."""
    for name in (title, *issuer.split("、")):
        name = name.removeprefix("关于")
        if name.startswith(NATIONAL):
            return "全国"
        if province := _province_at_start(name):
            return province
        if m := PLACE.match(name):
            return m.group(1)
        if text and (m := LOOSE_PLACE.match(name)) and text.count(m.group(1)) >= BODY_PLACE_MIN:
            return m.group(1)
    if not text:
        return ""
    if GENERIC_ISSUER.match(title) or GENERIC_ISSUER.match(issuer) or not issuer:
        if province := body_province(text):
            return province
    return "全国" if not GENERIC_ISSUER.match(title) and not GENERIC_ISSUER.match(issuer) else ""


def _province_at_start(name: str) -> str:
    for full, short in provinces().items():
        if name.startswith(full) or any(name.startswith(s) and len(s) >= 2 for s in short):
            return full
    return ""


def body_province(text: str) -> str:
    """The province a text names most, by full or short name (at least BODY_PLACE_MIN times and
    twice the next), else ""."""
    counts = sorted(((sum(text.count(s) for s in (full, *short) if len(s) >= 2) - text.count(full) * len(
        [s for s in short if len(s) >= 2 and s in full]), full) for full, short in provinces().items()), reverse=True)
    (first, name), (second, _) = counts[0], counts[1]
    return name if first >= BODY_PLACE_MIN and first >= 2 * second else ""
