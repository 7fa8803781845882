(function () {
  "use strict";
  // The review page's choices: kept in this browser (localStorage, under the run's own key, since every
  // file:// page shares one storage) and written as the examples.csv that `analyze --examples` reads.
  // Text is only ever set with textContent: comments never become markup.
  var root = document.getElementById("review");
  if (!root) {
    return;
  }
  var key = root.getAttribute("data-storage-key");
  var status = document.getElementById("review-status");
  var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-item-id]"));
  var kept = Array.prototype.slice.call(root.querySelectorAll("[data-kept-item-id]"));
  var storage = null;
  try {
    storage = window.localStorage;
    storage.getItem(key);
  } catch (error) {
    storage = null;
  }

  function saved() {
    if (!storage) {
      return {};
    }
    try {
      var value = JSON.parse(storage.getItem(key) || "{}");
      return value && typeof value === "object" ? value : {};
    } catch (error) {
      return {};
    }
  }

  function offers(select, value) {
    return Array.prototype.some.call(select.options, function (option) {
      return option.value === value;
    });
  }

  function chosen() {
    var rows = [];
    selects.forEach(function (select) {
      if (select.value) {
        rows.push([select.getAttribute("data-item-id"), select.value]);
      }
    });
    kept.forEach(function (element) {
      rows.push([element.getAttribute("data-kept-item-id"), element.getAttribute("data-commitment")]);
    });
    return rows;
  }

  function show() {
    var count = selects.filter(function (select) {
      return select.value;
    }).length;
    var message = root.getAttribute("data-msg-chosen").replace("{n}", String(count));
    var where = root.getAttribute(storage ? "data-msg-saved" : "data-msg-unsaved");
    status.textContent = message + root.getAttribute("data-msg-sep") + where;
  }

  function remember() {
    if (storage) {
      var choices = {};
      selects.forEach(function (select) {
        choices[select.getAttribute("data-item-id")] = select.value;
      });
      try {
        storage.setItem(key, JSON.stringify(choices));
      } catch (error) {
        storage = null;
      }
    }
    show();
  }

  function field(value) {
    return /[",\r\n]/.test(value) ? '"' + value.replace(/"/g, '""') + '"' : value;
  }

  function csv() {
    var lines = ["item_id,commitment_id"];
    chosen().forEach(function (row) {
      lines.push(field(row[0]) + "," + field(row[1]));
    });
    return lines.join("\n") + "\n";
  }

  function download() {
    var blob = new Blob([csv()], { type: "text/csv;charset=utf-8" });
    var link = document.createElement("a");
    link.href = URL.createObjectURL(blob);
    link.download = "examples.csv";
    link.hidden = true;
    document.body.appendChild(link);
    link.click();
    window.setTimeout(function () {
      URL.revokeObjectURL(link.href);
      link.remove();
    }, 1000);
  }

  var before = saved();
  selects.forEach(function (select) {
    var id = select.getAttribute("data-item-id");
    if (Object.prototype.hasOwnProperty.call(before, id) && offers(select, before[id])) {
      select.value = before[id];
    }
    select.addEventListener("change", remember);
  });
  document.getElementById("review-download").addEventListener("click", download);
  Array.prototype.forEach.call(root.querySelectorAll("[data-needs-script]"), function (element) {
    element.hidden = false;
  });
  show();
})();
