"""Column mapping: suggestions, presets, checks, and rows converted into service input."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from iranian_cities.models import City, Province

from peyvand.customers import services
from peyvand.transfers.mapping import (
    BUILTIN_PRESETS,
    VCARD_TARGETS,
    RowConverter,
    apply_preset,
    check_mapping,
    suggest,
    targets,
)
from peyvand.transfers.readers import VCARD_HEADERS, open_table

from .files import (
    GOOGLE_NEW_HEADERS,
    GOOGLE_OLD_HEADERS,
    OUTLOOK_HEADERS,
    row_of,
    write_csv,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def loyalty(admin):
    return services.create_custom_field(
        admin,
        {
            "entity": "person",
            "key": "loyalty_level",
            "label": "سطح وفاداری",
            "field_type": "multichoice",
            "choices": ["طلایی", "نقره‌ای"],
        },
    )


@pytest.fixture
def first_purchase(admin):
    return services.create_custom_field(
        admin,
        {"entity": "person", "key": "first_purchase", "label": "اولین خرید", "field_type": "date"},
    )


def convert(mapping, values, headers=None):
    converter = RowConverter(mapping, headers or [f"c{i}" for i in range(len(mapping))])
    return converter.convert(values)


def suggested(headers):
    return dict(zip(headers, suggest(headers), strict=True))


def province(name):
    return Province.objects.get(name=name).pk


def city(name, province_name=None):
    cities = City.objects.filter(name=name)
    if province_name:
        cities = cities.filter(province__name=province_name)
    return cities.get().pk


# ---- targets and suggestions --------------------------------------------------------------


def test_targets_list_builtin_fields_then_active_custom_fields(loyalty):
    keys = [key for key, _label in targets()]

    assert keys[:3] == ["first_name", "last_name", "full_name"]
    assert "custom.loyalty_level" in keys
    with translation.override("fa"):
        assert dict(targets())["last_name"] == "نام خانوادگی"


def test_persian_headers_are_suggested_whatever_the_spelling():
    headers = {
        "نام": "first_name",
        "نام\u200cخانوادگی": "last_name",  # ZWNJ instead of a space
        "تلفن همراه": "phone_mobile",
        "موبايل": "phone_mobile",  # Arabic ye
        "شماره همراه": "phone_mobile",
        "تلفن ثابت": "phone_home",
        "تلفن محل کار": "phone_work",
        "ایمیل": "email_work",
        "پست الکترونیک": "email_work",
        "كد ملي": "national_id",  # Arabic kaf and ye
        "تاریخ تولد": "birthday",
        "جنسیت": "gender",
        "شرکت": "organization",
        "عنوان شغلی": "job_title",
        "استان": "province",
        "شهر": "city",
        "نشانی": "address_line",
        "کد پستی": "postal_code",
        "توضیحات": "description",
        "برچسب‌ها": "tags",
        "تلگرام": "handle_telegram",
        "اینستاگرام": "handle_instagram",
        "رنگ مورد علاقه": "",
    }

    assert suggested(list(headers)) == headers


def test_english_headers_are_suggested_ignoring_case_and_punctuation():
    headers = {
        "First Name": "first_name",
        "LAST NAME": "last_name",
        "Mobile Phone": "phone_mobile",
        "Cell": "phone_mobile",
        "Business Phone": "phone_work",
        "Home Phone": "phone_home",
        "E-mail Address": "email_work",
        "National ID": "national_id",
        "birthday": "birthday",
        "Company": "organization",
        "Job Title": "job_title",
        "Notes": "description",
        "Categories": "tags",
        "Favourite colour": "",
    }

    assert suggested(list(headers)) == headers


def test_full_name_headers():
    assert suggest(["نام و نام خانوادگی", "تلفن"]) == ["full_name", "phone_home"]
    assert suggest(["Full Name", "Mobile"]) == ["full_name", "phone_mobile"]
    # A lone "نام" with no last-name column holds the whole name.
    assert suggest(["نام", "موبایل"]) == ["full_name", "phone_mobile"]


def test_a_single_valued_target_is_suggested_once_but_phones_and_tags_repeat():
    headers = ["نام خانوادگی", "فامیلی", "تلفن همراه", "موبایل", "تلفن همراه ۲", "برچسب", "Tags"]

    assert suggest(headers) == [
        "last_name",
        "",
        "phone_mobile",
        "phone_mobile",
        "phone_mobile",
        "tags",
        "tags",
    ]


def test_an_exact_header_anywhere_beats_a_misspelt_one_before_it():
    assert suggest(["Fist Name", "First Name", "Last Name"]) == ["", "first_name", "last_name"]
    assert suggest(["Fist Name", "Last Name"]) == ["first_name", "last_name"]


def test_vcard_columns_are_suggested_and_make_a_valid_mapping():
    mapping = suggest(VCARD_HEADERS)

    assert mapping == [VCARD_TARGETS[h] for h in VCARD_HEADERS]
    check_mapping(mapping, VCARD_HEADERS)


@pytest.mark.parametrize(
    ("preset", "headers"),
    [
        ("google", GOOGLE_OLD_HEADERS),
        ("google", GOOGLE_NEW_HEADERS),
        ("outlook", OUTLOOK_HEADERS),
    ],
)
def test_builtin_presets_and_suggestions_agree_on_real_export_headers(preset, headers):
    from_preset = apply_preset(BUILTIN_PRESETS[preset], headers)
    suggestion = suggest(headers)

    check_mapping(from_preset, headers)
    check_mapping(suggestion, headers)
    mapped = {h: t for h, t in zip(headers, from_preset, strict=True) if t}
    assert {h: t for h, t in zip(headers, suggestion, strict=True) if h in mapped} == mapped
    # Nothing that is not a contact field is swept in by a loose match.
    extra = {h: t for h, t in zip(headers, suggestion, strict=True) if t and h not in mapped}
    assert set(extra) <= {"Occupation", "Location", "Middle Name", "Additional Name"}, extra


def test_google_and_outlook_presets_map_the_expected_columns():
    google = dict(
        zip(
            GOOGLE_OLD_HEADERS,
            apply_preset(BUILTIN_PRESETS["google"], GOOGLE_OLD_HEADERS),
            strict=True,
        )
    )
    assert google["Name"] == "full_name"
    assert google["Phone 1 - Value"] == google["Phone 2 - Value"] == "phone_other"
    assert google["E-mail 1 - Value"] == "email_work"
    assert google["Organization 1 - Name"] == "organization"
    assert google["Group Membership"] == "tags"
    assert google["Phone 1 - Type"] == ""

    new = dict(
        zip(
            GOOGLE_NEW_HEADERS,
            apply_preset(BUILTIN_PRESETS["google"], GOOGLE_NEW_HEADERS),
            strict=True,
        )
    )
    assert (new["First Name"], new["Last Name"], new["Labels"]) == (
        "first_name",
        "last_name",
        "tags",
    )
    assert new["Organization Title"] == "job_title"

    outlook = dict(
        zip(OUTLOOK_HEADERS, apply_preset(BUILTIN_PRESETS["outlook"], OUTLOOK_HEADERS), strict=True)
    )
    assert outlook["Title"] == ""  # Mr./Mrs., not a job title
    assert (outlook["Mobile Phone"], outlook["Business Phone"], outlook["Home Phone"]) == (
        "phone_mobile",
        "phone_work",
        "phone_home",
    )
    assert (outlook["E-mail Address"], outlook["E-mail 2 Address"]) == (
        "email_work",
        "email_personal",
    )
    assert (outlook["Business State"], outlook["Categories"]) == ("province", "tags")


def test_custom_fields_are_suggested_by_key_or_label(loyalty, first_purchase):
    assert suggest(["loyalty_level", "اولین خرید", "نام خانوادگی"]) == [
        "custom.loyalty_level",
        "custom.first_purchase",
        "last_name",
    ]


def test_apply_preset_matches_headers_loosely_and_drops_gone_targets(loyalty):
    preset = {
        "first name": "first_name",
        "LAST NAME": "last_name",
        "Level": "custom.loyalty_level",
        "Old": "custom.deleted_field",
        "Mobile": "phone_mobile",
        "Mobile 2": "phone_mobile",
        "Other last": "last_name",
    }
    headers = ["First  Name", "last-name", "level", "old", "mobile", "MOBILE 2", "Other Last", "x"]

    assert apply_preset(preset, headers) == [
        "first_name",
        "last_name",
        "custom.loyalty_level",
        "",
        "phone_mobile",
        "phone_mobile",
        "",  # last_name is already taken
        "",
    ]


# ---- check_mapping --------------------------------------------------------------------------


def test_check_mapping_accepts_repeated_phones_and_empty_columns():
    check_mapping(["last_name", "phone_mobile", "phone_mobile", "", "tags", "tags"], list("abcdef"))
    check_mapping(["full_name", None], ["a", "b"])


def errors_of(mapping, headers):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        check_mapping(mapping, headers)
    return caught.value.message_dict


def test_check_mapping_reports_each_problem_by_column():
    errors = errors_of(
        ["last_name", "no_such_field", "last_name", "custom.missing", 5, ["x"]], list("abcdef")
    )

    assert set(errors) == {"mapping.1", "mapping.2", "mapping.3", "mapping.4", "mapping.5"}
    assert "more than one column" in errors["mapping.2"][0]
    assert "no such field" in errors["mapping.1"][0]


def test_check_mapping_needs_a_last_name_or_full_name_and_one_target_per_column():
    assert "last name" in errors_of(["first_name", "phone_mobile"], ["a", "b"])["mapping"][0]
    assert "2 columns" in errors_of(["last_name"], ["a", "b"])["mapping"][0]
    assert "mapping" in errors_of("last_name", ["a"])


# ---- RowConverter -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("full", "first", "last"),
    [
        ("محمد علی رضایی", "محمد علی", "رضایی"),
        ("  رضایی  ", "", "رضایی"),
        ("رضایی، علی", "علی", "رضایی"),
        ("Karimi, Reza", "Reza", "Karimi"),
    ],
)
def test_a_full_name_is_split_last_word_last(full, first, last):
    data, columns = convert(["full_name", "phone_mobile"], [full, ""])

    assert data == ({"first_name": first, "last_name": last} if first else {"last_name": last})
    assert columns["last_name"] == 0


def test_a_full_name_gives_way_to_mapped_first_and_last_names():
    mapping = ["full_name", "first_name", "last_name"]

    assert convert(mapping, ["علی رضایی", "علی", "رضایی نژاد"])[0] == {
        "first_name": "علی",
        "last_name": "رضایی نژاد",
    }
    # Only the first name given: the rest of the full name is the last name.
    data, columns = convert(mapping, ["علی رضایی نژاد", "علی", ""])
    assert data == {"first_name": "علی", "last_name": "رضایی نژاد"}
    assert (columns["first_name"], columns["last_name"]) == (1, 0)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("زن", "female"),
        ("مرد", "male"),
        ("Female", "female"),
        ("M", "male"),
        ("f", "female"),
        ("خانم", "female"),
        ("آقا", "male"),
        ("مؤنث", "female"),
        ("نامشخص", "unspecified"),
        ("male", "male"),
        ("دیگر", "دیگر"),  # unknown: passed on for the service to reject
    ],
)
def test_gender_labels_in_either_language_become_codes(text, code):
    assert convert(["last_name", "gender"], ["رضایی", text])[0]["gender"] == code


def test_other_choices_read_labels_in_either_language():
    mapping = ["last_name", "lifecycle_stage", "source", "preferred_channel"]

    data, _columns = convert(mapping, ["رضایی", "مشتری وفادار", "نمایشگاه", "پیامک"])
    assert (data["lifecycle_stage"], data["source"], data["preferred_channel"]) == (
        "loyal",
        "exhibition",
        "sms",
    )
    data, _columns = convert(mapping, ["Rezaei", "Customer", "Referral", "E-mail"])
    assert (data["lifecycle_stage"], data["source"], data["preferred_channel"]) == (
        "customer",
        "referral",
        "email",
    )


def test_only_mapped_non_empty_columns_appear_in_the_data():
    mapping = ["last_name", "", "email_work", "gender", "province", "tags", "national_id"]

    data, _columns = convert(mapping, ["رضایی", "ignored", "", "  ", "", "", ""])

    assert data == {"last_name": "رضایی"}


def test_short_rows_are_treated_as_padded():
    assert convert(["last_name", "first_name"], ["رضایی"])[0] == {"last_name": "رضایی"}


def test_phones_split_on_separators_and_mobiles_in_landline_columns_are_mobiles():
    mapping = ["last_name", "phone_mobile", "phone_home", "phone_work", "phone_other"]
    values = [
        "رضایی",
        "۰۹۱۲۱۲۳۴۵۶۷، 0935 111 2233",
        "02188776655; 9121112233",
        "09127778899",
        "+98 912 000 1111",
    ]

    data, columns = convert(mapping, values)

    assert data["phones"] == [
        {"number": "۰۹۱۲۱۲۳۴۵۶۷", "kind": "mobile"},
        {"number": "0935 111 2233", "kind": "mobile"},
        {"number": "02188776655", "kind": "home"},
        {"number": "9121112233", "kind": "mobile"},  # a mobile that lost its 0 in Excel
        {"number": "09127778899", "kind": "work"},  # a work mobile stays a work phone
        {"number": "+98 912 000 1111", "kind": "mobile"},
    ]
    assert [columns[f"phones.{i}"] for i in range(6)] == [1, 1, 2, 2, 3, 4]


def test_emails_handles_and_tags():
    mapping = [
        "last_name",
        "email_work",
        "email_personal",
        "handle_telegram",
        "handle_instagram",
        "tags",
        "tags",
    ]
    values = [
        "رضایی",
        "a@example.com, b@example.com",
        "home@example.com",
        "https://t.me/ali_rezaei",
        "@ali.rezaei",
        "مشتری ویژه، نمایشگاه; vip",
        "* myContacts ::: Friends ::: vip",
    ]

    data, columns = convert(mapping, values)

    assert data["emails"] == [
        {"address": "a@example.com", "kind": "work"},
        {"address": "b@example.com", "kind": "work"},
        {"address": "home@example.com", "kind": "personal"},
    ]
    assert data["social_handles"] == [
        {"network": "telegram", "handle": "ali_rezaei"},
        {"network": "instagram", "handle": "@ali.rezaei"},
    ]
    assert data["tag_names"] == ["مشتری ویژه", "نمایشگاه", "vip", "Friends"]
    assert (columns["emails.2"], columns["social_handles.1"], columns["tag_names"]) == (2, 4, 5)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("1369/02/22", "1369/02/22"),
        ("۱۳۶۹/۲/۲۲", "1369/02/22"),
        ("22/02/1369", "1369/02/22"),
        ("1990-05-12", "1369/02/22"),  # an XLSX date cell, as the reader writes it
        ("19900512", "1369/02/22"),  # vCard
        ("5/12/1990", "1369/02/22"),  # Outlook (month first)
        ("25/12/1990", "1369/10/04"),  # day first, since 25 is no month
        ("0/0/00", None),  # Outlook's empty birthday
        ("1990-02-30", "1990-02-30"),  # no such day: left for the service to reject
        ("--05-12", "--05-12"),
    ],
)
def test_birthdays_become_the_jalali_dates_the_service_reads(text, stored):
    data, _columns = convert(["last_name", "birthday"], ["رضایی", text])

    assert data.get("birthday") == stored


def test_national_ids_that_lost_leading_zeros_get_them_back():
    assert convert(["last_name", "national_id"], ["x", "12345678"])[0]["national_id"] == (
        "0012345678"
    )
    assert convert(["last_name", "national_id"], ["x", "001-234567-8"])[0]["national_id"] == (
        "001-234567-8"
    )


def test_provinces_and_cities_are_found_by_name_however_spelt():
    mapping = ["last_name", "province", "city", "address_line", "postal_code"]
    cases = [
        (["استان تهران", "تهران"], province("تهران"), city("تهران")),
        (["كرمان", "كرمان"], province("کرمان"), city("کرمان")),  # Arabic kaf
        (["سيستان و بلوچستان", "زاهدان"], province("سیستان وبلوچستان"), city("زاهدان")),
        (["Isfahan", "اصفهان"], province("اصفهان"), city("اصفهان")),
        (["آذربایجان‌غربی", "سردشت"], province("آذربایجان غربی"), city("سردشت", "آذربایجان غربی")),
    ]
    for (province_text, city_text), province_id, city_id in cases:
        data, columns = convert(mapping, ["x", province_text, city_text, "پلاک ۱", "1234567890"])
        assert data["addresses"] == [
            {
                "kind": "home",
                "province": province_id,
                "city": city_id,
                "line": "پلاک ۱",
                "postal_code": "1234567890",
            }
        ], province_text
        assert (columns["addresses.0.province"], columns["addresses.0.city"]) == (1, 2)


def test_a_city_alone_is_found_when_its_name_is_unique():
    data, _columns = convert(["last_name", "city"], ["x", "شهر مشهد"])

    assert data["addresses"] == [{"kind": "home", "city": city("مشهد")}]


def test_unknown_or_ambiguous_places_are_reported_by_the_service_under_their_column(agent):
    headers = ["نام خانوادگی", "استان", "شهر"]
    converter = RowConverter(["last_name", "province", "city"], headers)

    for values, key, column in [
        (["رضایی", "استان ناکجاآباد", ""], "addresses.0.province", 1),
        (["رضایی", "", "سردشت"], "addresses.0.city", 2),  # in four provinces
        (["رضایی", "فارس", "تبریز"], "addresses.0.city", 2),  # not in Fars
    ]:
        data, columns = converter.convert(values)
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            services.create_person(agent, data)
        errors = caught.value.message_dict
        assert list(errors) == [key], values
        assert "from the list" in errors[key][0] or "not in the chosen province" in errors[key][0]
        assert converter.column_for(key) == column
        assert converter.column_for(key, columns) == column


def test_columns_name_the_column_of_every_error_key(loyalty):
    mapping = [
        "full_name",
        "phone_mobile",
        "email_work",
        "organization",
        "job_title",
        "custom.loyalty_level",
        "tags",
        "city",
    ]
    converter = RowConverter(mapping, [f"h{i}" for i in range(len(mapping))])
    values = [
        "علی رضایی",
        "0912, 0935",
        "x@example.com",
        "شرکت",
        "مدیر",
        "طلایی، برنزی",
        "vip",
        "قم",
    ]

    data, columns = converter.convert(values)

    assert data["custom"] == {"loyalty_level": ["طلایی", "برنزی"]}
    assert (data["organization_name"], data["job_title"]) == ("شرکت", "مدیر")
    expected = {
        "last_name": 0,
        "first_name": 0,
        "phones": 1,
        "phones.1.number": 1,
        "emails.0.address": 2,
        "organization_name": 3,
        "job_title": 4,
        "custom.loyalty_level": 5,
        "custom": 5,
        "tags.0": 6,
        "addresses.0.city": 7,
        "addresses": 7,
        "national_id": None,
        "owner": None,
    }
    assert {key: converter.column_for(key) for key in expected} == expected


def test_custom_dates_are_read_like_birthdays(first_purchase):
    data, _columns = convert(["last_name", "custom.first_purchase"], ["x", "2024-03-20"])

    assert data["custom"] == {"first_purchase": "1403/01/01"}


def test_convert_makes_no_database_queries(django_assert_num_queries, loyalty):
    mapping = [
        "first_name",
        "last_name",
        "province",
        "city",
        "gender",
        "custom.loyalty_level",
        "tags",
    ]
    converter = RowConverter(mapping, mapping)

    with django_assert_num_queries(0):
        for _ in range(50):
            converter.convert(["علی", "رضایی", "تهران", "تهران", "مرد", "طلایی", "vip"])


def test_a_converted_row_is_accepted_by_the_customer_service(agent, tmp_path):
    headers = [
        "نام و نام خانوادگی",
        "موبایل",
        "تلفن",
        "ایمیل",
        "جنسیت",
        "تاریخ تولد",
        "استان",
        "شهر",
        "کد ملی",
        "تلگرام",
    ]
    path = write_csv(
        tmp_path / "people.csv",
        [
            headers,
            row_of(
                headers,
                **{
                    "نام و نام خانوادگی": "محمد علی رضایی",
                    "موبایل": "۰۹۱۲۱۲۳۴۵۶۷",
                    "تلفن": "021-88776655",
                    "ایمیل": "Ali@Example.com",
                    "جنسیت": "آقا",
                    "تاریخ تولد": "1990-05-12",
                    "استان": "استان تهران",
                    "شهر": "تهران",
                    "کد ملی": "0013542419",
                    "تلگرام": "t.me/ali_rezaei",
                },
            ),
        ],
    )
    table = open_table(path)
    converter = RowConverter(suggest(table.headers), table.headers)
    [(number, values)] = list(table.rows())

    data, _columns = converter.convert(values)
    person = services.create_person(agent, data)

    assert number == 2
    assert (person.first_name, person.last_name, person.gender) == ("محمد علی", "رضایی", "male")
    assert person.birthday.isoformat() == "1990-05-12"
    assert [(p.number, p.kind) for p in person.phones.all()] == [
        ("+989121234567", "mobile"),
        ("+982188776655", "home"),
    ]
    assert [e.address for e in person.emails.all()] == ["ali@example.com"]
    address = person.addresses.get()
    assert (address.province.name, address.city.name) == ("تهران", "تهران")
    assert person.national_id == "0013542419"
    assert person.social_handles.get().handle == "ali_rezaei"
