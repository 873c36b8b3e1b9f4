// Device tags on the phone: the same reading as collecte/domain/tags.py, so a mistyped label is
// refused without the network. 8 characters of Crockford base32, the last a Luhn mod 32 check
// character; case, spaces and dashes are forgiven, and I→1, L→1, O→0; a wrong check is not.
// tests/browser/test_tags_js.py compares it with the Python module on thousands of codes.
// A plain script: pages load it with <script>, the service worker with importScripts().
(function (root) {
  "use strict";
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var LENGTH = 8;
  // Python's str.isspace() characters, which its strip() and \s use (JavaScript's differ).
  var SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
  var EDGES = new RegExp("^[" + SPACE + "]+|[" + SPACE + "]+$", "g");
  var SEPARATORS = new RegExp("[" + SPACE + "\\-_.]+", "g");
  // A label's QR holds `{public_url}/D/{TAG}`; any address ending in /d/<tag> is accepted.
  var URL_TAG = /\/d\/([^\/?#]+)\/?(?:[?#].*)?$/i;
  var LOOKALIKES = { I: "1", L: "1", O: "0" };

  function checkCharacter(body) {
    var total = 0;
    var factor = 2;
    for (var i = body.length - 1; i >= 0; i--) {
      var addend = factor * ALPHABET.indexOf(body[i]);
      total += Math.floor(addend / 32) + (addend % 32);
      factor = factor === 2 ? 1 : 2;
    }
    return ALPHABET[(32 - (total % 32)) % 32];
  }

  function display(tag) {
    return tag.slice(0, 4) + "-" + tag.slice(4);
  }

  // The canonical tag in `code` ({tag}), or why it is none ({error, values}: the refusal's
  // name and the values its sentence names).
  function parse(code) {
    var typed = String(code).replace(EDGES, "");
    var text = typed;
    var match = URL_TAG.exec(text);
    if (match) text = match[1];
    else if (text.indexOf("/") >= 0) return { error: "not_a_tag", values: {} };
    // Characters, not UTF-16 units, as Python counts them.
    var chars = Array.from(text.replace(SEPARATORS, "").toUpperCase()).map(function (char) {
      return LOOKALIKES[char] || char;
    });
    if (chars.length !== LENGTH) {
      var shown = Array.from(typed).slice(0, 40).join("");
      return { error: "length", values: { length: LENGTH, code: shown, count: chars.length } };
    }
    var bad = chars.filter(function (char, index) {
      return ALPHABET.indexOf(char) < 0 && chars.indexOf(char) === index;
    });
    if (bad.length) {
      bad.sort(function (a, b) { return a.codePointAt(0) - b.codePointAt(0); });
      return { error: "characters", values: { characters: bad.join(" ") } };
    }
    var cleaned = chars.join("");
    if (checkCharacter(cleaned.slice(0, -1)) !== cleaned[LENGTH - 1]) {
      return { error: "check", values: { tag: display(cleaned) } };
    }
    return { tag: cleaned };
  }

  // A sentence with `{name}` placeholders filled from `values` (the pages give them translated).
  function fill(sentence, values) {
    return String(sentence).replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  root.CollecteTags = { ALPHABET: ALPHABET, checkCharacter: checkCharacter, display: display, parse: parse, fill: fill };
})(self);
