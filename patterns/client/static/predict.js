/* The house-price model evaluated in JavaScript: the same file runs in the user's browser (the
 * app) and in an embedded V8 from Python (the parity test), so what is tested is what ships.
 *
 * cleanRecord mirrors shared_model/validation.py (missing markers, ranges, whole numbers, known
 * categories, the fields marked required); predictPrice mirrors shared_model/compiled.py:
 *   price = exp(intercept + sum(weight * log1p(value or fill)) + sum(categorical[field][value]))
 * No network, no DOM: plain functions on the model.json the release carries.
 */
(function (root) {
  "use strict";

  var FORMAT = "archlab.linear-log-price/1";
  var MISSING_CATEGORY = "Missing";
  var MISSING_MARKERS = ["", "NA", MISSING_CATEGORY];

  function isMissing(value) {
    if (value === null || value === undefined) return true;
    if (typeof value === "string") return MISSING_MARKERS.indexOf(value.trim()) >= 0;
    return typeof value === "number" && Number.isNaN(value);
  }

  function expected(spec) {
    if (spec.kind === "categorical") return "one of " + JSON.stringify(spec.choices);
    return (spec.integer ? "an integer" : "a number") + " from " + spec.minimum + " to " + spec.maximum;
  }

  function problem(spec, message, got) {
    return { field: spec.name, message: message, expected: expected(spec), got: got };
  }

  function cleanNumber(spec, value) {
    if (typeof value !== "number" && typeof value !== "string") {
      return { error: problem(spec, spec.integer ? "must be an integer" : "must be a number", value) };
    }
    var number = typeof value === "number" ? value : Number(value.trim());
    if (Number.isNaN(number)) return { error: problem(spec, "is not a number", value) };
    if (!Number.isFinite(number)) return { error: problem(spec, "must be a finite number", value) };
    if (spec.integer && !Number.isInteger(number)) return { error: problem(spec, "must be a whole number", value) };
    if (number < spec.minimum || number > spec.maximum) {
      return { error: problem(spec, "is out of range (" + spec.minimum + " to " + spec.maximum + ")", value) };
    }
    return { value: number };
  }

  function cleanCategory(spec, value) {
    if (typeof value === "number" && Number.isInteger(value)) value = String(value);
    if (typeof value !== "string") return { error: problem(spec, "must be a text category", value) };
    var text = value.trim();
    if (spec.choices.indexOf(text) < 0) return { error: problem(spec, "unknown category '" + text + "'", value) };
    return { value: text };
  }

  /* A raw house (form values or CSV cells) -> {record, errors}: the cleaned record the model
   * reads (numbers, null when missing; categories, "Missing" when missing) and every bad field. */
  function requiredMessage(fields) {
    var names = fields.filter(function (spec) { return spec.required; }).map(function (spec) { return spec.name; });
    return "is required (a house needs at least " + names.slice(0, -1).join(", ") + " and " + names[names.length - 1] +
      "; other fields may be left out)";
  }

  function cleanRecord(fields, raw) {
    var record = {};
    var errors = [];
    fields.forEach(function (spec) {
      var value = raw[spec.name];
      if (isMissing(value)) {
        record[spec.name] = spec.kind === "categorical" ? MISSING_CATEGORY : null;
        if (spec.required) {
          errors.push(problem(spec, requiredMessage(fields), value === undefined ? null : value));
        }
        return;
      }
      var cleaned = spec.kind === "categorical" ? cleanCategory(spec, value) : cleanNumber(spec, value);
      if (cleaned.error) errors.push(cleaned.error);
      record[spec.name] = cleaned.error ? null : cleaned.value;
    });
    return { record: record, errors: errors };
  }

  function checkFormat(model) {
    if (!model || model.format !== FORMAT) {
      throw new Error("unsupported model format " + JSON.stringify(model && model.format) + "; expected " + FORMAT);
    }
    return model;
  }

  /* The price of one cleaned record: the same sums, in the same order, as the Python fast path. */
  function predictPrice(model, record) {
    var total = model.intercept;
    var numeric = model.numeric;
    for (var name in numeric) {
      var term = numeric[name];
      var value = record[name];
      total += term.weight * (value === null || value === undefined ? term.log1p_fill : Math.log1p(value));
    }
    var categorical = model.categorical;
    for (var field in categorical) {
      var table = categorical[field];
      var category = record[field];
      if (Object.prototype.hasOwnProperty.call(table, category)) total += table[category];
    }
    return Math.exp(total);
  }

  root.archlabModel = {
    FORMAT: FORMAT, cleanRecord: cleanRecord, checkFormat: checkFormat, predictPrice: predictPrice,
  };
})(typeof globalThis !== "undefined" ? globalThis : this);
