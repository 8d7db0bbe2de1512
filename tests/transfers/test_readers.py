"""Reading import files: formats, encodings, sheets, vCards, and files that are not tables."""

import datetime as dt
import os

import pytest
from django.utils import translation

from peyvand.core.persian import to_ascii_digits
from peyvand.transfers.readers import (
    MAX_COLUMNS,
    VCARD_HEADERS,
    ImportFileError,
    count_rows,
    detect_format,
    open_table,
    sheet_names,
)

from .files import (
    VCARD_3,
    VCARD_4,
    android_vcard,
    csv_text,
    write_csv,
    write_xlsx,
)

PERSIAN_ROWS = [
    ["نام", "نام خانوادگی", "تلفن همراه", "شهر"],
    ["علی", "رضایی", "۰۹۱۲۱۲۳۴۵۶۷", "تهران"],
    ["مریم", "كريمي", "٠٩٣٥١١١٢٢٣٣", "شیراز"],
]


def rows_of(table):
    return list(table.rows())


def vcard_row(values):
    return dict(zip(VCARD_HEADERS, values, strict=True))


# ---- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("utf-16", "utf-16")],
)
def test_csv_encodings_are_detected_and_persian_text_read_back(tmp_path, encoding, detected):
    path = write_csv(tmp_path / "people.csv", PERSIAN_ROWS, encoding=encoding)

    table = open_table(path)

    assert (table.format, table.encoding, table.sheet) == ("csv", detected, "")
    assert table.headers == PERSIAN_ROWS[0]  # no BOM left on the first header
    assert rows_of(table) == [(2, PERSIAN_ROWS[1]), (3, PERSIAN_ROWS[2])]
    assert count_rows(table) == 2


def as_windows_wrote_it(rows):
    """Windows-1256 has no Persian ی or Persian digits: Windows wrote ي and ASCII digits."""
    return [[to_ascii_digits(cell).replace("ی", "ي") for cell in row] for row in rows]


def test_a_windows_1256_csv_is_detected_and_read_with_persian_letters(tmp_path):
    path = write_csv(tmp_path / "old.csv", as_windows_wrote_it(PERSIAN_ROWS), encoding="cp1256")

    table = open_table(path)

    assert (table.format, table.encoding) == ("csv", "cp1256")
    assert table.headers == PERSIAN_ROWS[0]
    assert rows_of(table) == [
        (2, ["علی", "رضایی", "09121234567", "تهران"]),
        (3, ["مریم", "کریمی", "09351112233", "شیراز"]),  # ك and ي became ک and ی
    ]


def test_a_windows_1256_file_whose_only_invalid_utf8_is_far_down_is_still_detected(tmp_path):
    rows = [["name", "city"]] + [["a", "b"]] * 50_000 + [["رضا", "قم"]]  # no ی: cp1256 has none
    path = write_csv(tmp_path / "late.csv", rows, encoding="cp1256")

    table = open_table(path)

    assert table.encoding == "cp1256"
    assert list(table.rows())[-1] == (50_002, ["رضا", "قم"])


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_sniffed(tmp_path, delimiter):
    rows = [["نام", "نام خانوادگی", "توضیحات"], ["علی", "رضایی", "یک، دو; سه"]]
    path = write_csv(tmp_path / "people.csv", rows, delimiter=delimiter)

    table = open_table(path)

    assert table.delimiter == delimiter
    assert rows_of(table) == [(2, rows[1])]


def test_a_one_column_file_reads_as_one_column(tmp_path):
    path = write_csv(tmp_path / "names.csv", [["نام خانوادگی"], ["رضایی"], ["احمدی"]])

    table = open_table(path)

    assert table.headers == ["نام خانوادگی"]
    assert rows_of(table) == [(2, ["رضایی"]), (3, ["احمدی"])]


def test_row_numbers_are_the_spreadsheet_rows_even_with_blank_rows_and_multiline_cells(
    tmp_path,
):
    text = "\r\n" + csv_text(
        [["last", "note"], ["a", "line one\nline two"], [], ["", "  "], ["b", ""]]
    )
    path = tmp_path / "gaps.csv"
    path.write_text(text, encoding="utf-8")

    table = open_table(path)

    assert table.headers == ["last", "note"]
    assert table.header_row == 2
    assert rows_of(table) == [(3, ["a", "line one\nline two"]), (6, ["b", ""])]


def test_short_rows_are_padded_and_long_rows_cut_to_the_headers(tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("a,b,c\n1\n1,2,3,4,5\n", encoding="utf-8")

    assert rows_of(open_table(path)) == [(2, ["1", "", ""]), (3, ["1", "2", "3"])]


def test_headers_are_cleaned_and_blank_ones_named_by_position(tmp_path):
    path = tmp_path / "headers.csv"
    path.write_text(" First  Name ,,\u200fنام\u200c خانوادگی ,,\n1,2,3\n", encoding="utf-8")

    with translation.override("en"):
        assert open_table(path).headers == ["First Name", "Column 2", "نام\u200c خانوادگی"]


def test_cells_are_read_verbatim_formulas_and_markup_included(tmp_path):
    payloads = ['=HYPERLINK("http://evil.example","x")', "+SUM(A1:A9)", "-1+1", "@cmd"]
    xss = '<script>alert("x")</script>'
    path = write_csv(tmp_path / "evil.csv", [["last", "note"], *[[p, xss] for p in payloads]])

    assert [values for _n, values in open_table(path).rows()] == [[p, xss] for p in payloads]


def test_persian_and_arabic_digits_in_phone_cells_are_kept_as_written(tmp_path):
    path = write_csv(tmp_path / "p.csv", [["تلفن"], ["۰۹۱۲۱۲۳۴۵۶۷"], ["٠٩١٢١٢٣٤٥٦٧"]])

    assert [v for _n, v in open_table(path).rows()] == [["۰۹۱۲۱۲۳۴۵۶۷"], ["٠٩١٢١٢٣٤٥٦٧"]]


def test_a_header_only_file_has_columns_and_no_rows(tmp_path):
    path = write_csv(tmp_path / "empty.csv", [["نام", "نام خانوادگی"]])

    table = open_table(path)

    assert table.headers == ["نام", "نام خانوادگی"]
    assert rows_of(table) == []
    assert count_rows(table) == 0


@pytest.mark.parametrize("content", [b"", b"   \r\n\r\n", b"\xef\xbb\xbf\r\n"])
def test_an_empty_file_is_a_clear_error(tmp_path, content):
    path = tmp_path / "empty.csv"
    path.write_bytes(content)

    with translation.override("en"), pytest.raises(ImportFileError, match="empty"):
        open_table(path)


def test_garbage_bytes_are_not_a_table(tmp_path):
    path = tmp_path / "photo.csv"
    path.write_bytes(os.urandom(4096) + b"\x00\x01\x02")

    with translation.override("en"), pytest.raises(ImportFileError, match="not a CSV"):
        open_table(path)


def test_too_many_columns_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "wide.csv", [[f"c{i}" for i in range(MAX_COLUMNS + 1)]])

    with translation.override("en"), pytest.raises(ImportFileError, match="at most 200"):
        open_table(path)


def test_a_chosen_encoding_that_does_not_fit_is_a_clear_error(tmp_path):
    path = write_csv(tmp_path / "p.csv", as_windows_wrote_it(PERSIAN_ROWS), encoding="cp1256")

    with translation.override("en"), pytest.raises(ImportFileError, match="utf-8"):
        open_table(path, encoding="utf-8")
    with pytest.raises(ImportFileError):
        open_table(path, encoding="latin-1")
    assert open_table(path, encoding="cp1256").headers == PERSIAN_ROWS[0]


def test_a_cell_too_large_for_the_csv_reader_names_its_row(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text("last\nok\n" + "x" * 200_000 + "\n", encoding="utf-8")
    table = open_table(path)

    with translation.override("en"), pytest.raises(ImportFileError, match="Row 3"):
        list(table.rows())


def test_rows_stream_without_reading_the_whole_file(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("نام خانوادگی,تلفن همراه\n")
        for i in range(200_000):
            handle.write(f"رضایی{i},0912{i:07d}\n")
    table = open_table(path)

    rows = table.rows()
    assert next(rows) == (2, ["رضایی0", "09120000000"])
    assert count_rows(table) == 200_000


# ---- XLSX -----------------------------------------------------------------------------------


def test_xlsx_every_sheet_is_listed_and_the_chosen_one_read(tmp_path):
    path = write_xlsx(
        tmp_path / "people.xlsx",
        {
            "خلاصه": [["گزارش"], ["چیزی نیست"]],
            "مشتریان": [
                ["نام", "نام خانوادگی", "تلفن همراه", "تاریخ تولد", "امتیاز", "فعال"],
                ["علی", "رضایی", 9121234567, dt.datetime(1990, 5, 12), 12.0, True],
                [],
                ["مریم", "احمدی", "09351112233", dt.date(1985, 1, 2), 2.5, False],
                ["سارا", "کریمی", None, dt.datetime(2000, 1, 2, 14, 30), None, None],
            ],
        },
    )

    assert sheet_names(path) == ["خلاصه", "مشتریان"]
    assert open_table(path).sheet == "خلاصه"  # the first sheet by default
    table = open_table(path, sheet="مشتریان")
    assert (table.format, table.encoding, table.sheet) == ("xlsx", "", "مشتریان")
    assert table.headers == ["نام", "نام خانوادگی", "تلفن همراه", "تاریخ تولد", "امتیاز", "فعال"]
    assert rows_of(table) == [
        (2, ["علی", "رضایی", "9121234567", "1990-05-12", "12", "TRUE"]),
        (4, ["مریم", "احمدی", "09351112233", "1985-01-02", "2.5", "FALSE"]),
        (5, ["سارا", "کریمی", "", "2000-01-02 14:30", "", ""]),
    ]
    assert count_rows(table) == 3


def test_xlsx_header_below_title_rows_and_blank_rows_keep_true_numbers(tmp_path):
    path = write_xlsx(
        tmp_path / "p.xlsx",
        {"Sheet": [[], [], [None, "نام خانوادگی", None, "شهر"], [None, "رضایی", None, "قم"]]},
    )

    table = open_table(path)

    assert table.header_row == 3
    with translation.override("en"):
        assert open_table(path).headers == ["Column 1", "نام خانوادگی", "Column 3", "شهر"]
    assert rows_of(table) == [(4, ["", "رضایی", "", "قم"])]


def test_xlsx_unknown_sheet_empty_sheet_and_not_a_workbook_are_clear_errors(tmp_path):
    path = write_xlsx(tmp_path / "p.xlsx", {"الف": [["نام"]], "خالی": []})
    with translation.override("en"):
        with pytest.raises(ImportFileError, match="no sheet named “ب”"):
            open_table(path, sheet="ب")
        with pytest.raises(ImportFileError, match="empty"):
            open_table(path, sheet="خالی")
        fake = tmp_path / "fake.xlsx"
        fake.write_bytes(b"PK\x03\x04" + os.urandom(200))
        with pytest.raises(ImportFileError, match="not a readable XLSX"):
            open_table(fake)
        with pytest.raises(ImportFileError, match="not a readable XLSX"):
            sheet_names(fake)
        old = tmp_path / "old.xls"
        old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500)
        with pytest.raises(ImportFileError, match=r"\.xls"):
            open_table(old)


def test_xlsx_formula_and_markup_text_cells_are_read_verbatim(tmp_path):
    path = tmp_path / "evil.xlsx"
    write_xlsx(path, {"s": [["last", "note"], ["'=1+2", "<img src=x onerror=alert(1)>"]]})

    assert rows_of(open_table(path)) == [(2, ["'=1+2", "<img src=x onerror=alert(1)>"])]


# ---- vCard ----------------------------------------------------------------------------------


def test_vcard_3_each_card_is_a_row_with_separate_phone_columns(tmp_path):
    path = tmp_path / "contacts.vcf"
    path.write_text(VCARD_3 + VCARD_4, encoding="utf-8")

    table = open_table(path)

    assert (table.format, table.encoding, table.headers) == ("vcard", "utf-8", VCARD_HEADERS)
    (first_number, sara), (second_number, reza) = rows_of(table)
    assert (first_number, second_number) == (1, 2)
    sara = vcard_row(sara)
    assert (sara["FN"], sara["N:family"], sara["N:given"]) == ("سارا احمدی", "احمدی", "سارا")
    assert (sara["TEL:cell"], sara["TEL:cell 2"]) == ("+989121112233", "09351112233")
    assert (sara["TEL:work"], sara["TEL:home"], sara["TEL"]) == (
        "021 8877 6655",
        "021-22334455",
        "021-22334456",  # the fax
    )
    assert (sara["EMAIL:work"], sara["EMAIL:home"]) == ("sara@example.com", "sara.home@example.com")
    assert (sara["ORG"], sara["TITLE"]) == ("شرکت نمونه", "مدیر فروش")
    assert (sara["ADR:street"], sara["ADR:city"], sara["ADR:region"], sara["ADR:postal"]) == (
        "خیابان ولیعصر پلاک ۱۰",
        "تهران",
        "تهران",
        "1234567890",
    )
    assert sara["BDAY"] == "1990-05-12"
    assert sara["CATEGORIES"] == "مشتری ویژه, نمایشگاه"
    assert sara["NOTE"] == "آشنایی در نمایشگاه, سال قبل"

    reza = vcard_row(reza)
    assert (reza["FN"], reza["TEL:cell"], reza["TEL:home"]) == (
        "Reza Karimi",
        "+98-912-555-1234",  # the tel: URI scheme of vCard 4.0 is dropped
        "+98-21-8877-6655",
    )
    assert (reza["EMAIL:work"], reza["BDAY"]) == ("reza@example.com", "19850320")


def test_android_vcard_quoted_printable_persian_and_bare_types_decode(tmp_path):
    path = tmp_path / "android.vcf"
    phones = [("CELL", "09121234567"), ("CELL", "0935 111 2233"), ("WORK;VOICE", "02188776655")]
    path.write_text(android_vcard("رضایی", "محمد علی", phones), encoding="utf-8")

    [(number, values)] = rows_of(open_table(path))

    card = vcard_row(values)
    assert number == 1
    assert card["FN"] == "محمد علی رضایی"
    assert (card["N:family"], card["N:given"]) == ("رضایی", "محمد علی")
    assert (card["TEL:cell"], card["TEL:cell 2"], card["TEL:work"]) == (
        "09121234567",
        "0935 111 2233",
        "02188776655",
    )


def test_many_phones_of_one_kind_spill_into_the_generic_columns(tmp_path):
    path = tmp_path / "many.vcf"
    phones = [("CELL", f"0912000000{i}") for i in range(7)]
    path.write_text(android_vcard("رضایی", "علی", phones), encoding="utf-8")

    [(_number, values)] = rows_of(open_table(path))

    card = vcard_row(values)
    assert [card[h] for h in ("TEL:cell", "TEL:cell 2", "TEL:cell 3", "TEL")] == [
        "09120000000",
        "09120000001",
        "09120000002",
        "09120000003",
    ]
    assert card["TEL 2"] == "09120000004 ; 09120000005 ; 09120000006"


def test_a_windows_1256_vcard_is_read(tmp_path):
    path = tmp_path / "old.vcf"
    path.write_bytes(to_ascii_digits(VCARD_3).replace("ی", "ي").encode("cp1256"))

    table = open_table(path)

    assert table.encoding == "cp1256"
    card = vcard_row(rows_of(table)[0][1])
    assert (card["N:family"], card["ORG"]) == ("احمدی", "شرکت نمونه")


def test_a_vcard_file_without_cards_and_a_broken_card_are_clear_errors(tmp_path):
    path = tmp_path / "none.vcf"
    path.write_text("hello\n", encoding="utf-8")
    with translation.override("en"), pytest.raises(ImportFileError, match="no vCard"):
        open_table(path, format="vcard")

    broken = tmp_path / "broken.vcf"
    broken.write_text(VCARD_4 + "END:VCARD\n", encoding="utf-8")
    table = open_table(broken)
    with translation.override("en"), pytest.raises(ImportFileError, match="Card 2"):
        list(table.rows())


def test_a_malformed_line_inside_a_card_is_skipped_not_fatal(tmp_path):
    path = tmp_path / "odd.vcf"
    path.write_text(VCARD_4.replace("BDAY", "this line is not a property\nBDAY"), "utf-8")

    [(_number, values)] = rows_of(open_table(path))

    assert vcard_row(values)["FN"] == "Reza Karimi"


# ---- format detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("list.csv", b"PK\x03\x04rest", "xlsx"),  # content wins over the name
        ("contacts.txt", b"\xef\xbb\xbfBEGIN:VCARD\r\n", "vcard"),
        ("contacts", b"  begin:vcard\n", "vcard"),
        ("book.xlsx", b"", "xlsx"),
        ("cards.VCF", b"", "vcard"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "xlsx"),
        ("people.csv", b"a,b\n", "csv"),
        ("noname", b"a;b\n", "csv"),
    ],
)
def test_detect_format(name, head, expected):
    assert detect_format(name, head) == expected
