/*
 * Accept.js for the w365desk offline sandbox.
 *
 * Same surface as Authorize.Net's Accept.js: window.Accept.dispatchData(secureData,
 * responseHandler). The card or bank data goes straight from the browser to the
 * sandbox that served this script (securePaymentContainerRequest, JSON); the handler
 * receives a one-time nonce (opaqueData) or messages with Accept's E_WC_* codes.
 *
 * The sandbox is another origin than the page, so the endpoint is taken from this
 * script's own address, and the sandbox answers CORS preflights for it.
 */
(function (global) {
  "use strict";

  var API_PATH = "/xml/v1/request.api";

  var TEXTS = {
    I_WC_01: "Successful.",
    E_WC_04: "Please provide mandatory field to library.",
    E_WC_05: "Please provide valid credit card number.",
    E_WC_06: "Please provide valid expiration month.",
    E_WC_07: "Please provide valid expiration year.",
    E_WC_08: "Expiration date must be in the future.",
    E_WC_10: "Please provide valid apiloginid.",
    E_WC_14: "Accept.js encryption failed.",
    E_WC_15: "Please provide valid CVV.",
    E_WC_16: "Please provide valid ZIP code.",
    E_WC_17: "Please provide valid card holder name.",
    E_WC_18: "Client Key is required.",
    E_WC_19: "An error occurred during processing. Please try again.",
    E_WC_21: "User authentication failed due to invalid authentication values.",
    E_WC_23: "Please provide either card information or bank information.",
    E_WC_24: "Please provide valid account number.",
    E_WC_25: "Please provide valid routing number.",
    E_WC_26: "Please provide valid account holder name.",
    E_WC_27: "Please provide valid account type."
  };

  // This sandbox takes only Authorize.Net's published test cards: a real card number is
  // refused here, before it leaves the page. The sandbox fills the list in as it serves
  // this script; left empty, every card is refused.
  var TEST_CARDS = [];
  var NOT_A_TEST_CARD =
    "Please provide valid credit card number. This is the offline sandbox: it accepts " +
    "only Authorize.Net's published test card numbers (such as 4111111111111111), " +
    "never a real card.";

  // Server result codes as Accept.js reports them to the page.
  var SERVER_CODES = { I00001: "I_WC_01", E00007: "E_WC_21" };

  function scriptOrigin() {
    var script = document.currentScript;
    if (!script) {
      var candidates = document.getElementsByTagName("script");
      for (var i = candidates.length - 1; i >= 0; i--) {
        if (/\/v1\/Accept\.js(\?|#|$)/.test(candidates[i].src)) {
          script = candidates[i];
          break;
        }
      }
    }
    if (!script || !script.src) {
      return null;
    }
    return new URL(script.src, document.baseURI).origin;
  }

  var origin = scriptOrigin();

  function asText(value) {
    return value === undefined || value === null ? "" : String(value).trim();
  }

  function luhnValid(digits) {
    var sum = 0;
    var double = false;
    for (var i = digits.length - 1; i >= 0; i--) {
      var digit = digits.charCodeAt(i) - 48;
      if (double) {
        digit *= 2;
        if (digit > 9) {
          digit -= 9;
        }
      }
      sum += digit;
      double = !double;
    }
    return sum % 10 === 0;
  }

  function failure(codes) {
    return {
      messages: {
        resultCode: "Error",
        message: codes.map(function (item) {
          return typeof item === "string" ? { code: item, text: TEXTS[item] } : item;
        })
      }
    };
  }

  function checkCard(card, errors, token) {
    var number = asText(card.cardNumber).replace(/[\s.,:-]+/g, "");
    if (!/^[0-9]{13,16}$/.test(number) || !luhnValid(number)) {
      errors.push("E_WC_05");
    } else if (TEST_CARDS.indexOf(number) < 0) {
      errors.push({ code: "E_WC_05", text: NOT_A_TEST_CARD });
    }
    var month = asText(card.month);
    if (month.length === 1) {
      month = "0" + month;
    }
    var monthValid = /^(0[1-9]|1[0-2])$/.test(month);
    if (!monthValid) {
      errors.push("E_WC_06");
    }
    var year = asText(card.year);
    var yearValid = /^([0-9]{2}|[0-9]{4})$/.test(year);
    if (!yearValid) {
      errors.push("E_WC_07");
    } else if (year.length === 2) {
      year = "20" + year;
    }
    if (monthValid && yearValid) {
      // A card is good through the last moment of its expiry month.
      var lastMoment = new Date(Number(year), Number(month), 0, 23, 59, 59, 999);
      if (lastMoment < new Date()) {
        errors.push("E_WC_08");
      }
    }
    var cardCode = asText(card.cardCode);
    if (cardCode && !/^[0-9]{3,4}$/.test(cardCode)) {
      errors.push("E_WC_15");
    }
    var zip = asText(card.zip);
    if (zip && zip.length > 20) {
      errors.push("E_WC_16");
    }
    var fullName = asText(card.fullName);
    if (fullName && fullName.length > 64) {
      errors.push("E_WC_17");
    }
    token.cardNumber = number;
    token.expirationDate = month + year;
    if (cardCode) {
      token.cardCode = cardCode;
    }
    if (zip) {
      token.zip = zip;
    }
    if (fullName) {
      token.fullName = fullName;
    }
  }

  function checkBank(bank, errors, token) {
    var account = asText(bank.accountNumber);
    if (!/^[0-9]{1,17}$/.test(account)) {
      errors.push("E_WC_24");
    }
    var routing = asText(bank.routingNumber);
    if (!/^[0-9]{9}$/.test(routing)) {
      errors.push("E_WC_25");
    }
    var name = asText(bank.nameOnAccount);
    if (!name || name.length > 22) {
      errors.push("E_WC_26");
    }
    var accountType = asText(bank.accountType);
    if (["checking", "savings", "businessChecking"].indexOf(accountType) < 0) {
      errors.push("E_WC_27");
    }
    token.accountNumber = account;
    token.routingNumber = routing;
    token.nameOnAccount = name;
    token.accountType = accountType;
  }

  function newId() {
    if (global.crypto && typeof global.crypto.randomUUID === "function") {
      return global.crypto.randomUUID();
    }
    return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, function (c) {
      var r = (Math.random() * 16) | 0;
      return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
    });
  }

  function buildRequest(secureData, errors) {
    if (!secureData || typeof secureData !== "object" || !secureData.authData) {
      errors.push("E_WC_04");
      return null;
    }
    var auth = secureData.authData;
    var card = secureData.cardData;
    var bank = secureData.bankData;
    if (card && bank) {
      errors.push("E_WC_23");
      return null;
    }
    if (!card && !bank) {
      errors.push("E_WC_04");
      return null;
    }
    var loginId = asText(auth.apiLoginID);
    if (!loginId || loginId.length > 25) {
      errors.push("E_WC_10");
    }
    var clientKey = asText(auth.clientKey);
    if (!clientKey) {
      errors.push("E_WC_18");
    }
    var data = { type: "TOKEN", id: newId() };
    if (card) {
      data.token = {};
      checkCard(card, errors, data.token);
    } else {
      data.bankToken = {};
      checkBank(bank, errors, data.bankToken);
    }
    return {
      securePaymentContainerRequest: {
        merchantAuthentication: { name: loginId, clientKey: clientKey },
        data: data
      }
    };
  }

  function translate(response) {
    var messages = (response && response.messages && response.messages.message) || [];
    for (var i = 0; i < messages.length; i++) {
      var mapped = SERVER_CODES[messages[i].code];
      if (mapped) {
        messages[i].code = mapped;
        messages[i].text = TEXTS[mapped];
      }
    }
    return response;
  }

  function deliver(responseHandler, response) {
    var handler = responseHandler;
    if (typeof handler === "string") {
      handler = global[handler];
    }
    if (typeof handler !== "function") {
      return;
    }
    setTimeout(function () {
      handler(response);
    }, 0);
  }

  function dispatchData(secureData, responseHandler) {
    var errors = [];
    var request = buildRequest(secureData, errors);
    if (errors.length > 0) {
      deliver(responseHandler, failure(errors));
      return;
    }
    if (!origin) {
      deliver(responseHandler, failure(["E_WC_14"]));
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", origin + API_PATH, true);
    xhr.setRequestHeader("Content-Type", "application/json; charset=utf-8");
    xhr.onload = function () {
      var response;
      try {
        response = JSON.parse(String(xhr.responseText).replace(/^\uFEFF/, ""));
      } catch (error) {
        response = null;
      }
      if (!response || !response.messages || !response.messages.resultCode) {
        deliver(responseHandler, failure(["E_WC_14"]));
        return;
      }
      deliver(responseHandler, translate(response));
    };
    xhr.onerror = function () {
      deliver(responseHandler, failure(["E_WC_14"]));
    };
    xhr.send(JSON.stringify(request));
  }

  global.Accept = { dispatchData: dispatchData };
})(typeof window !== "undefined" ? window : this);
