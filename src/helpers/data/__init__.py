"""The curated tables: the data package's schema, strict loaders and the data dictionary.

Sub-modules, one job each:

``schema``      data/datapackage.json read and cached; its vocabulary; one cell parsed and checked
``numbers``     the one reader of numbers as sources print them (separators, scale words)
``tables``      one CSV validated row by row against its schema (file, line, column, expectation)
``expressions`` derived rows' ``expression`` column: read, evaluated (simpleeval) and checked against the value
``loaders``     the DataFrames the notebooks load, and citations of their sources
``dictionary``  the data dictionary written from the schema (README, site data page)
``descriptor``  checks of the descriptor itself, with the line of each fault
``spec_keys``   the keys the Data Package and Table Schema specs allow, from frictionless's profiles

``from helpers import data`` keeps working: the public API is re-exported here. Checking
the data never imports pandas; building a frame does.
"""
from helpers.data.descriptor import check_descriptor
from helpers.data.dictionary import README_BEGIN, README_END, data_dictionary_markdown, field_rules, readme_with_dictionary
from helpers.data.expressions import Expression, ExpressionError, Literal, expression_problems, parse_expression
from helpers.data.loaders import (annual_quotas, cite, export_periods, load_events, load_exports, load_production,
                                  load_quotas, load_sources, monthly_exports)
from helpers.data.numbers import SCALES, locator_has_value, numbers_in, printed_numbers
from helpers.data.schema import (CONSTRAINTS, FIELD_TYPES, MAX_ERRORS, DataError, Problem, YearMonth, calendar_issue,
                                 read_package, resource)
from helpers.data.tables import (folder_stamp, load_table, schema_names, table_schema_problems, validate_all,
                                 validate_table)

__all__ = [
    "CONSTRAINTS", "FIELD_TYPES", "MAX_ERRORS", "README_BEGIN", "README_END", "SCALES", "DataError", "Expression",
    "ExpressionError", "Literal", "Problem", "YearMonth", "annual_quotas", "calendar_issue", "check_descriptor",
    "cite", "data_dictionary_markdown", "export_periods", "expression_problems", "field_rules", "folder_stamp", "load_events",
    "load_exports", "load_production", "load_quotas", "load_sources", "load_table", "locator_has_value",
    "monthly_exports", "numbers_in", "parse_expression", "printed_numbers", "read_package",
    "readme_with_dictionary", "resource", "schema_names", "table_schema_problems", "validate_all",
    "validate_table",
]
