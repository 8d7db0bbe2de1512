"""Import files built in code (no binary fixtures): CSV in several encodings, XLSX, vCards,
and the header rows of real Google Contacts and Outlook exports."""

import csv
import io

from openpyxl import Workbook

# Google Contacts "Google CSV" export, before 2023.
GOOGLE_OLD_HEADERS = [
    "Name",
    "Given Name",
    "Additional Name",
    "Family Name",
    "Yomi Name",
    "Given Name Yomi",
    "Additional Name Yomi",
    "Family Name Yomi",
    "Name Prefix",
    "Name Suffix",
    "Initials",
    "Nickname",
    "Short Name",
    "Maiden Name",
    "Birthday",
    "Gender",
    "Location",
    "Billing Information",
    "Directory Server",
    "Mileage",
    "Occupation",
    "Hobby",
    "Sensitivity",
    "Priority",
    "Subject",
    "Notes",
    "Language",
    "Photo",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "E-mail 2 - Type",
    "E-mail 2 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Phone 2 - Type",
    "Phone 2 - Value",
    "Address 1 - Type",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Address 1 - PO Box",
    "Address 1 - Region",
    "Address 1 - Postal Code",
    "Address 1 - Country",
    "Address 1 - Extended Address",
    "Organization 1 - Type",
    "Organization 1 - Name",
    "Organization 1 - Yomi Name",
    "Organization 1 - Title",
    "Organization 1 - Department",
    "Website 1 - Type",
    "Website 1 - Value",
]

# Google Contacts export since 2023.
GOOGLE_NEW_HEADERS = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
    "E-mail 1 - Label",
    "E-mail 1 - Value",
    "Phone 1 - Label",
    "Phone 1 - Value",
    "Phone 2 - Label",
    "Phone 2 - Value",
    "Address 1 - Label",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Address 1 - PO Box",
    "Address 1 - Region",
    "Address 1 - Postal Code",
    "Address 1 - Country",
    "Address 1 - Extended Address",
    "Website 1 - Label",
    "Website 1 - Value",
]

# Outlook "Comma Separated Values" export.
OUTLOOK_HEADERS = [
    "Title",
    "First Name",
    "Middle Name",
    "Last Name",
    "Suffix",
    "Company",
    "Department",
    "Job Title",
    "Business Street",
    "Business Street 2",
    "Business Street 3",
    "Business City",
    "Business State",
    "Business Postal Code",
    "Business Country/Region",
    "Home Street",
    "Home Street 2",
    "Home Street 3",
    "Home City",
    "Home State",
    "Home Postal Code",
    "Home Country/Region",
    "Other Street",
    "Other City",
    "Other State",
    "Other Postal Code",
    "Other Country/Region",
    "Assistant's Phone",
    "Business Fax",
    "Business Phone",
    "Business Phone 2",
    "Callback",
    "Car Phone",
    "Company Main Phone",
    "Home Fax",
    "Home Phone",
    "Home Phone 2",
    "ISDN",
    "Mobile Phone",
    "Other Fax",
    "Other Phone",
    "Pager",
    "Primary Phone",
    "Radio Phone",
    "TTY/TDD Phone",
    "Telex",
    "Account",
    "Anniversary",
    "Assistant's Name",
    "Billing Information",
    "Birthday",
    "Business Address PO Box",
    "Categories",
    "Children",
    "Directory Server",
    "E-mail Address",
    "E-mail Type",
    "E-mail Display Name",
    "E-mail 2 Address",
    "E-mail 2 Type",
    "E-mail 2 Display Name",
    "E-mail 3 Address",
    "E-mail 3 Type",
    "E-mail 3 Display Name",
    "Gender",
    "Government ID Number",
    "Hobby",
    "Home Address PO Box",
    "Initials",
    "Internet Free Busy",
    "Keywords",
    "Language",
    "Location",
    "Manager's Name",
    "Mileage",
    "Notes",
    "Office Location",
    "Organizational ID Number",
    "Other Address PO Box",
    "Priority",
    "Private",
    "Profession",
    "Referred By",
    "Sensitivity",
    "Spouse",
    "User 1",
    "User 2",
    "User 3",
    "User 4",
    "Web Page",
]


def csv_text(rows, delimiter=",") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_csv(path, rows, *, encoding="utf-8", delimiter=","):
    path.write_bytes(csv_text(rows, delimiter).encode(encoding))
    return path


def row_of(headers, **values) -> list[str]:
    """A row for ``headers`` with the named cells filled (keys are header texts)."""
    return [values.get(header, "") for header in headers]


def write_xlsx(path, sheets: dict[str, list[list]]):
    """A workbook with one sheet per item; ``None`` cells stay empty."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is not None:
                    sheet.cell(row=r, column=c, value=value)
    workbook.save(path)
    return path


def quoted_printable(text: str) -> str:
    return "".join(f"={byte:02X}" for byte in text.encode("utf-8"))


def android_vcard(family: str, given: str, phones: list[tuple[str, str]]) -> str:
    """A vCard as Android writes it: 2.1-style bare types, Persian in quoted-printable with
    soft line breaks."""
    name = quoted_printable(f"{family};{given};;;").replace("=3B", ";")
    full = quoted_printable(f"{given} {family}")
    # Break the long FN line as Android does: "=" at the end of a line, cut between escapes.
    cut = (len(full) // 2) // 3 * 3
    lines = [
        "BEGIN:VCARD",
        "VERSION:2.1",
        f"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{name}",
        f"FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:{full[:cut]}=",
        full[cut:],
        *(f"TEL;{kind}:{number}" for kind, number in phones),
        "END:VCARD",
    ]
    return "\r\n".join(lines) + "\r\n"


VCARD_3 = """BEGIN:VCARD
VERSION:3.0
FN:سارا احمدی
N:احمدی;سارا;;;
TEL;TYPE=CELL,VOICE:+989121112233
TEL;TYPE=CELL:09351112233
TEL;TYPE=WORK:021 8877 6655
TEL;TYPE=HOME:021-22334455
TEL;TYPE=FAX:021-22334456
EMAIL;TYPE=INTERNET;TYPE=WORK:sara@example.com
EMAIL;TYPE=INTERNET;TYPE=HOME:sara.home@example.com
ORG:شرکت نمونه;فروش
TITLE:مدیر فروش
ADR;TYPE=HOME:;;خیابان ولیعصر پلاک ۱۰;تهران;تهران;1234567890;ایران
BDAY:1990-05-12
CATEGORIES:مشتری ویژه,نمایشگاه
NOTE:آشنایی در نمایشگاه\\, سال قبل
END:VCARD
"""

VCARD_4 = """BEGIN:VCARD
VERSION:4.0
FN:Reza Karimi
N:Karimi;Reza;;;
TEL;VALUE=uri;TYPE="cell,voice":tel:+98-912-555-1234
TEL;VALUE=uri;TYPE=home:tel:+98-21-8877-6655
EMAIL;TYPE=work:reza@example.com
BDAY:19850320
END:VCARD
"""
