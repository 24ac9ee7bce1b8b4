"""Labelled values in OCR text: exact labels, misread labels, empty boxes, printed choices, scribbles."""

from __future__ import annotations

from hudang.forms.definitions import load_forms
from hudang.forms.ocr import normalise
from hudang.forms.scans import extract_fields, guess_form

FORMS = load_forms()
COMPLAINT = FORMS.by_id("complaint")

OCR_PAGE = """示例物业服务有限公司
投诉处理单
编号: TS-2026-0042
项目*         金第花园日期           2026-11-03
投诉人周燕投诉时间*          2026-11-03 09:30
投诉人房号* ”| 3栋2单元 1201 室联系电话
接报人~        李客服
投诉方式口来电口来访口信函口网络
严重程度口重大口重要口轻微被投诉部门     vv人
投诉内容*     楼上卫生间渗漏水, 天花板发霉
原因分析
完成时间回访时间
经办人 (签字) :                 住户 (签字) :                 日期:       年月日
"""


def test_values_after_their_labels_on_the_ocr_lines() -> None:
    values, unclear = extract_fields(OCR_PAGE, COMPLAINT)
    assert values == {"编号": "TS-2026-0042", "项目": "金第花园", "日期": "2026-11-03", "投诉人": "周燕",
                      "投诉时间": "2026-11-03 09:30", "投诉人房号": "3栋2单元 1201 室", "接报人": "李客服",
                      "投诉内容": "楼上卫生间渗漏水, 天花板发霉"}
    assert unclear == ["被投诉部门"]          # a scribble, not text


def test_a_label_misread_by_one_character_still_finds_its_value() -> None:
    values, _ = extract_fields("投诉入：欧阳建国\n接报入: 王五", COMPLAINT)
    assert values == {"投诉人": "欧阳建国", "接报人": "王五"}


def test_the_title_is_not_a_label() -> None:
    values, _ = extract_fields("投诉处理单\n投诉人: 张三", COMPLAINT)
    assert values == {"投诉人": "张三"}


def test_traditional_ocr_text_is_normalised_before_reading() -> None:
    text = normalise("投訴人： 歐陽 建國\n投訴內容：電梯 噪音 擾民 ， 請 處理\n")
    assert text == "投诉人:欧阳建国\n投诉内容:电梯噪音扰民,请处理"    # no spaces round a mark either (Tesseract's)
    values, _ = extract_fields(text, COMPLAINT)
    assert values == {"投诉人": "欧阳建国", "投诉内容": "电梯噪音扰民,请处理"}


def test_the_form_is_guessed_from_the_title_or_the_labels() -> None:
    assert guess_form("维修工作单\n报修人: 孙丽", FORMS).id == "repair"
    assert guess_form("报修人: 孙丽\n报修时间: 2026-11-07\n报修内容: 门坏了", FORMS).id == "repair"
    assert guess_form("一封普通的信", FORMS) is None
    assert guess_form("函件 函号 欠费金额 收件人", FORMS) is None     # letters are never taken from intake


def test_an_upright_page_is_told_from_an_upside_down_one_by_the_labels_it_shows() -> None:
    from hudang.forms.scans import _labels_seen

    upright = "投诉处理单\n投诉人周燕投诉时间* 2026-11-03 09:30\n接报人 李客服"
    upside_down = "凶夺二晒于导情宫砂时周群里所请千轩要窟为族出某连许光区大\n自著立口合辐求要口章不口 EE主3品"
    assert _labels_seen(upright, FORMS) >= 2
    assert _labels_seen(upside_down, FORMS) == 0


def test_a_number_with_confused_letters_is_for_review_not_filed() -> None:
    # Measured on the OCR bench: 编号 on its printed underline read TS- as IS-, and 7158 as Z158.
    for misread in ("IS-202611-0042", "YS-2026-Z158", "TS-2O26-0042"):
        page = OCR_PAGE.replace("TS-2026-0042", misread)
        values, unclear = extract_fields(page, COMPLAINT)
        assert "编号" not in values and "编号" in unclear, misread
    for fine in ("TS-202611-0042", "YS-2026-7158", "WX-2026-0042", "纸质001"):
        values, unclear = extract_fields(OCR_PAGE.replace("TS-2026-0042", fine), COMPLAINT)
        assert values["编号"] == fine and "编号" not in unclear, fine


def test_a_value_that_fails_its_field_is_for_review_not_filed() -> None:
    page = OCR_PAGE.replace("投诉时间*          2026-11-03 09:30", "投诉时间*          2026-11-38 09:30")
    values, unclear = extract_fields(page, COMPLAINT)
    assert "投诉时间" not in values and "投诉时间" in unclear


def test_a_number_confusable_with_another_forms_prefix_is_for_review() -> None:
    # Measured on the OCR bench: a 物品放行条 (no entry_number of its own) with 编号 TS-2026-2498 read as
    # IS-2026-2498 was filed as read. TS is the 投诉处理单's prefix (complaint.toml entry_number): IS is a
    # confusable spelling of a prefix the definitions know, and not one itself.
    release = FORMS.by_id("goods_release")
    assert release.entry_number is None
    page = "物品放行条\n编号: IS-2026-2498\n"
    values, unclear = extract_fields(page, release, FORMS)
    assert "编号" not in values and "编号" in unclear
    for fine in ("TS-2026-2498", "WX-2026-2498", "YS-2026-2498", "FX-2026-0007"):
        values, unclear = extract_fields(page.replace("IS-2026-2498", fine), release, FORMS)
        assert values.get("编号") == fine and "编号" not in unclear, fine


def test_specks_read_beside_the_digits_of_a_typed_value_are_taken_away_by_its_type() -> None:
    # Measured on the OCR bench's noisy scans: a speck read as a dot, a colon or a dash inside or after an ID
    # number, a date or a time made a right reading fail its check. What the type cannot hold goes; the check stays.
    registration = FORMS.by_id("registration")
    page = "住户登记表\n证件号码 34010819.7901112074-\n入住日期 2026-08-23 :.\n联系电话 139.1234.5678*\n"
    values, unclear = extract_fields(page, registration, FORMS)
    assert (values["证件号码"], values["入住日期"], values["联系电话"]) == ("340108197901112074", "2026-08-23",
                                                                   "13912345678")
    values, unclear = extract_fields(OCR_PAGE.replace("2026-11-03 09:30", "2026-11-03.09:30"), COMPLAINT)
    assert values["投诉时间"] == "2026-11-03 09:30"
    # a speck that stands where a digit was still fails the check digit: 待核对, not filled
    values, unclear = extract_fields(page.replace("34010819.79", "34010819.9"), registration, FORMS)
    assert "证件号码" not in values and "证件号码" in unclear
