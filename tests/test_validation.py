import pytest

from rerec.data.validation import DataError, iter_delimited, parse_float, parse_int


def test_rows_carry_line_numbers(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text("x\ty\n1\t2\n\n3\t4\n")
    assert list(iter_delimited(path, "\t", ("x", "y"))) == [(2, {"x": "1", "y": "2"}), (4, {"x": "3", "y": "4"})]


def test_wrong_field_count_names_the_line(tmp_path):
    path = tmp_path / "a.tsv"
    path.write_text("x\ty\n1\t2\n3\n")
    with pytest.raises(DataError, match=r"a.tsv, line 3: expected 2 fields, found 1"):
        list(iter_delimited(path, "\t", ("x", "y")))


def test_missing_column(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("x,z\n1,2\n")
    with pytest.raises(DataError, match=r"line 1: missing column\(s\) \['y'\]"):
        list(iter_delimited(path, ",", ("x", "y")))


def test_bad_encoding_names_the_line(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x,y\n1,2\n3,\xff\n")
    with pytest.raises(DataError, match=r"line 3: not valid utf-8"):
        list(iter_delimited(path, ",", ("x", "y")))


def test_quoted_csv_fields_keep_delimiters_and_newlines(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('x,y\n"a, b","two\nlines"\n')
    # A record that spans lines is named by the line it starts on.
    assert list(iter_delimited(path, ",", ("x", "y"))) == [(2, {"x": "a, b", "y": "two\nlines"})]


def test_unclosed_quote_is_reported_where_it_opens(tmp_path):
    path = tmp_path / "items.csv"
    path.write_text('item_id,title,year\nb1,Book 1,1990\nb2,"Book 2,1991\nb3,Book 3,1992\nb4,Book 4,1993\n')
    with pytest.raises(DataError, match=r"items.csv, line 3: malformed CSV .*quote opened on this line"):
        list(iter_delimited(path, ",", ("item_id", "title")))


def test_utf8_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes("\ufeffitem_id,title\nb1,Café\n".encode())
    assert list(iter_delimited(path, ",", ("item_id", "title"))) == [(2, {"item_id": "b1", "title": "Café"})]


def test_empty_and_missing_files(tmp_path):
    (tmp_path / "e.csv").write_text("")
    with pytest.raises(DataError, match="file is empty"):
        list(iter_delimited(tmp_path / "e.csv", ","))
    with pytest.raises(DataError, match="file not found"):
        list(iter_delimited(tmp_path / "nope.csv", ","))


def test_number_parsers_name_the_field(tmp_path):
    with pytest.raises(DataError, match=r"line 7, field 'age': expected an integer, found 'x'"):
        parse_int("x", tmp_path / "u.csv", 7, "age")
    with pytest.raises(DataError, match="finite"):
        parse_float("nan", tmp_path / "r.csv", 2, "rating")
    assert parse_float("4.5", tmp_path, 1, "r") == 4.5
