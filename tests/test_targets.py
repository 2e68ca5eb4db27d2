import csv
import io
import subprocess
import sys

import pytest

from assistant import Assistant, Settings
from assistant.targets import to_csv
from assistant.text import number_occurs, squash

# Every quantitative target of the plan, read off the text by hand:
# (sector, indicator, value, unit, comparator, year)
EXPECTED = {
    ("综合", "单位地区生产总值能耗累计降幅", "13.5", "%", "累计降幅", "2025"),
    ("工业", "规模以上工业增加值能耗累计降幅", "16", "%", "累计降幅", "2025"),
    ("建筑", "城镇新建建筑中绿色建筑面积占比", "100", "%", "目标值", "2025"),
    ("建筑", "公共建筑能效提升改造面积", "100", "万平方米", "目标值", "2025"),
    ("交通", "交通行业单位增加值能耗下降率", "5", "%", "目标值", "2025"),
    ("交通", "中心城区公共交通占机动化出行比例", "60", "%", "目标值", "2025"),
    ("交通", "新能源及清洁能源公交车应用比例", "80", "%", "目标值", "2025"),
    ("公共机构", "公共机构单位建筑面积能耗累计下降率", "5", "%", "目标值", "2025"),
    ("公共机构", "公共机构人均综合能耗累计下降率", "6", "%", "目标值", "2025"),
    ("交通", "城区绿色出行分担率", "30", "%", "以上", "2025"),
    ("交通", "城区新增新能源、清洁能源动力的交通工具", "30", "%", "达到", "2025"),
    ("公共机构", "地区城市生活垃圾无害化处理率", "99", "%", "以上", "十四五末"),
    ("公共机构", "行政村生活垃圾收运处置体系覆盖率", "85", "%", "以上", "十四五末"),
    ("工业", "绿色工业园区占比", "20", "%", "增加", "2025"),
    ("工业", "新增绿色工厂", "20", "%", "增加", "2025"),
    ("交通", "营运交通单位增加值能耗", "5", "%", "累计降幅", "2025"),
    ("工业", "规上工业单位增加值能耗", "16", "%", "降低", "2025"),
    ("工业", "万元工业增加值用水量", "15", "%", "降低", "2025"),
    ("建筑", "可再生能源在民用建筑中的应用比例", "15", "%", "达到", "2025年底"),
    ("建筑", "各县（市）新建居住建筑、公共建筑全面执行节能标准", "75", "%", "全面执行", "2025"),
    ("公共机构", "高效照明光源使用率", "100", "%", "达到", ""),
    ("公共机构", "地区公共机构新建和既有停车场规划建设配备充电设施比例", "20", "%", "不低于", "2025"),
    ("循环经济", "地区大宗固废综合利用率", "40", "%", "以上", "2025"),
    ("循环经济", "地区再生资源回收利用率", "50", "%", "以上", "2025"),
    ("循环经济", "城镇生活垃圾无害化处理率", "98.2", "%", "达到", "2025"),
    ("工业", "锅炉节能改造节能量", "2", "万吨标准煤", "累计", ""),
    ("工业", "电机、变压器节能改造节能量", "2", "万吨标准煤", "累计", ""),
    ("工业", "照明灯具改造节能量", "1", "万吨标准煤", "累计", ""),
    ("建筑", "城市新建公共建筑逐步执行强制性节能标准", "75", "%", "逐步执行", ""),
    ("建筑", "新建居住建筑推广节能标准", "75", "%", "推广", ""),
    ("建筑", "开工建设超低能耗建筑面积", "10", "%", "不低于", ""),
    ("能源结构", "煤炭占能源消费总量比重", "35", "%", "左右", "2025"),
    ("能源结构", "非化石能源比重", "21", "%", "以上", "2025"),
    ("工业", "绿色制造示范单位", "10", "家", "以上", "2025"),
    ("数据中心", "新建大型数据中心 PUE 值", "1.6", "", "以下", "2025"),
}


@pytest.fixture(scope="module")
def assistant():
    return Assistant(Settings.load(env={}))


def test_registry_is_exactly_the_plans_targets(assistant):
    got = {(t.sector, t.indicator, t.value, t.unit, t.comparator, t.year) for t in assistant.targets()}
    assert got == EXPECTED


def test_every_value_stands_in_its_quote_and_the_quote_in_the_plan(assistant):
    for t in assistant.targets():
        doc = assistant.documents[t.doc_id].text
        assert number_occurs(t.value, t.quote), t
        assert squash(t.quote) in squash(doc)
        assert squash(doc[t.start:t.end]) == squash(t.quote)


def test_history_is_not_a_target(assistant):
    values = {t.value for t in assistant.targets()}
    assert not values & {"674.38", "2.09", "1.002", "35.4", "73"}


def test_baseline_is_kept(assistant):
    water = next(t for t in assistant.targets() if t.indicator == "万元工业增加值用水量")
    assert water.baseline == "比2020年"


def test_transport_question_lists_table_and_text_targets(assistant):
    answer = assistant.ask("交通领域有哪些目标？")
    assert answer.found and answer.intent == "sector_targets"
    for value in ("5%", "60%", "80%"):
        assert value in answer.text
    assert answer.text.count("30%") == 2
    assert any("绿色出行分担率达 30%" in s.quote for s in answer.sources)
    assert any(s.quote == "指标 单位 2025 年目标值" for s in answer.sources)


@pytest.mark.parametrize("question,sector", [
    ("交通局要完成哪些指标", "交通"), ("住建部门的量化指标", "建筑"),
    ("公共机构有啥硬性指标", "公共机构"), ("工信局有哪些目标", "工业"),
])
def test_department_and_sector_questions_use_the_registry(assistant, question, sector):
    answer = assistant.ask(question)
    assert answer.found and answer.intent == "sector_targets"
    for t in assistant.targets(sector=sector):
        assert f"{t.indicator}：{t.value}{t.unit}" in answer.text


def test_department_answer_says_where_the_link_comes_from(assistant):
    answer = assistant.ask("交通局要完成哪些指标")
    assert "规划本身不点名部门" in answer.text and "对照表" in answer.text


def test_unknown_department_lists_known_ones(assistant):
    answer = assistant.ask("环保局有哪些指标")
    assert not answer.found
    assert "环保局" in answer.text and "交通运输局" in answer.text and "住房和城乡建设局" in answer.text


def test_conflicting_statements_are_shown_side_by_side(assistant):
    answer = assistant.ask("公共机构有哪些指标")
    assert "99%" in answer.text and "98.2%" in answer.text
    building = assistant.ask("建筑领域有哪些目标")
    assert "全面执行" in building.text and "逐步执行" in building.text


def test_csv_has_bom_and_chinese(assistant):
    data = to_csv(assistant.targets(sector="交通")).encode("utf-8-sig")
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "指标" and len(rows) == 1 + 6


def test_targets_cli_json_and_csv():
    out = subprocess.run([sys.executable, "-m", "assistant", "targets", "--sector", "交通", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    assert "城区绿色出行分担率" in out and '"quote"' in out
    raw = subprocess.run([sys.executable, "-m", "assistant", "targets", "--department", "交通运输局",
                          "--format", "csv"], capture_output=True, check=True).stdout
    assert raw.startswith(b"\xef\xbb\xbf") and "中心城区".encode() in raw
    bad = subprocess.run([sys.executable, "-m", "assistant", "targets", "--department", "环保局"],
                         capture_output=True, text=True)
    assert bad.returncode == 2 and "交通运输局" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("question,section", [
    ("农业农村局在节能方面要干什么？", "（六）加强农业农村节能减排"),
    ("交通局要做什么", "（四）加强交通运输节能减排"),
    ("住建部门负责哪些任务", "（六）超低能耗建筑建设工程"),
])
def test_task_questions_quote_the_sectors_sections(assistant, question, section):
    answer = assistant.ask(question)
    assert answer.found and answer.intent == "sector_tasks"
    assert any(s.section.endswith(section) for s in answer.sources)
    assert "规划不点名部门" in answer.text


def test_a_task_question_with_a_subject_is_not_a_section_dump(assistant):
    answer = assistant.ask("工信局管的固废综合利用要达到多少？")
    assert answer.intent == "fact" and "40%" in answer.text
