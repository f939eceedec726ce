// Checks an RFC 6962 inclusion proof of one ledger entry in the browser (no library, no CDN):
// leaf = SHA-256(0x00 ‖ canonical bytes), node = SHA-256(0x01 ‖ left ‖ right), walked as in
// RFC 9162 §2.1.3.2 up to the root, which must equal the root the platform signed.
"use strict";

(function () {
  const form = document.getElementById("inclusion-check");
  const out = document.getElementById("inclusion-result");
  if (!form || !out) return;

  const hex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  const unhex = (text) => {
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error("The proof holds a value that is not a SHA-256 hash.");
    return Uint8Array.from(text.match(/../g), (pair) => parseInt(pair, 16));
  };
  const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const prefixed = (prefix, ...parts) => {
    const size = parts.reduce((n, part) => n + part.length, 1);
    const bytes = new Uint8Array(size);
    bytes[0] = prefix;
    let at = 1;
    for (const part of parts) { bytes.set(part, at); at += part.length; }
    return bytes;
  };

  async function rootFromPath(leaf, index, size, path) {
    // Plain arithmetic, not bit operators: seq may exceed 2^31.
    let fn = index, sn = size - 1, node = leaf;
    for (const sibling of path) {
      if (sn === 0) throw new Error("The proof is longer than the tree is deep.");
      if (fn % 2 === 1 || fn === sn) {
        node = await sha256(prefixed(1, sibling, node));
        while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); }
      } else {
        node = await sha256(prefixed(1, node, sibling));
      }
      fn = Math.floor(fn / 2); sn = Math.floor(sn / 2);
    }
    if (sn !== 0) throw new Error("The proof is shorter than the tree is deep.");
    return node;
  }

  function show(ok, lines) {
    out.replaceChildren();
    const title = document.createElement("p");
    title.className = ok ? "good" : "bad";
    title.textContent = ok ? "Verified: this entry is in the ledger." : "Not verified.";
    const list = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    out.append(title, list);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!window.crypto || !crypto.subtle) {
      show(false, ["This browser offers no SHA-256 here (pages served over plain HTTP from another machine); use python -m ledger.verify_remote instead."]);
      return;
    }
    const option = form.querySelector("select").selectedOptions[0];
    const size = Number(option.value);
    const seq = Number(form.dataset.seq);
    const lines = [];
    out.textContent = "Checking…";
    try {
      const url = `${form.action}?seq=${seq}&size=${size}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      const proof = await response.json();
      if (!response.ok) throw new Error(proof.detail || `The server answered ${response.status}.`);
      const canonical = document.getElementById("canonical").textContent;
      const leaf = await sha256(prefixed(0, new TextEncoder().encode(canonical)));
      const leafOk = hex(leaf) === form.dataset.hash && hex(leaf) === proof.leaf_hash;
      lines.push(`${leafOk ? "✓" : "✗"} SHA-256 of 0x00 and the canonical form is ${hex(leaf)}, ${leafOk ? "the entry's hash" : "not the entry's hash"}.`);
      const root = hex(await rootFromPath(leaf, seq - 1, size, proof.proof.map(unhex)));
      const rootOk = root === proof.root_hash;
      lines.push(`${rootOk ? "✓" : "✗"} ${proof.proof.length} proof hashes lead to the root ${root} of the tree of ${size} entries.`);
      let signedOk = true;
      if (option.dataset.root) {
        signedOk = root === option.dataset.root;
        lines.push(`${signedOk ? "✓" : "✗"} That root ${signedOk ? "is" : "is NOT"} the root the platform signed for ${size} entries.`);
      } else {
        lines.push("No checkpoint signs this tree size yet: the root is the server's word until one does.");
      }
      show(leafOk && rootOk && signedOk, lines);
    } catch (error) {
      lines.push(error.message);
      show(false, lines);
    }
  });
})();
