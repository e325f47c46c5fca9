Feature: Pushing progress
  A push is `PUT …/syncs/progress` with a JSON object: `document` (the book's
  hash), `percentage` (0 to 1), `progress` (KOReader's position marker),
  `device` and `device_id`. The server stores it for the signed-in user.

  Background:
    Given a book "A"

  @S-PUSH-1
  Rule: A valid push for a known book answers 200

    Scenario: Pushing a position
      When alice pushes "A" at 0.5 with progress "/body/DocFragment[12]/body/p[4]/text().17"
      Then the answer is 200

  @K-PUSH-1 @kosync
  Rule: kosync answers a push with the document and the server's timestamp

    Scenario: The push answer echoes the document
      When alice pushes "A" at 0.5 with progress "12"
      Then the answer is 200
      And the answer's "document" is the hash of "A"
      And the answer's "timestamp" is a whole number

  @S-LWW-1
  Rule: The last accepted push wins, even when it goes backwards

    Scenario Outline: Pushing <first> then <second>
      When alice pushes "A" at <first> with progress "first"
      And alice pushes "A" at <second> with progress "second"
      Then alice reads "A" at <second> with progress "second"

      Examples:
        | first | second |
        | 0.2   | 0.6    |
        | 0.8   | 0.3    |

  @K-NUM-1 @kosync
  Rule: A percentage sent as numeric text is read as a number, as Lua's tonumber reads it

    Scenario Outline: Pushing the percentage as the text <text>
      When alice pushes the raw body {"document": "{A}", "percentage": "<text>", "progress": "as text", "device": "d", "device_id": "D"}
      Then the answer is 200
      And alice reads "A" at <number> with progress "as text"

      Examples:
        | text   | number |
        | 0.5    | 0.5    |
        | 2.5e-1 | 0.25   |

  @S-CONC-1
  Rule: Concurrent pushes lose nothing and never mix

    Scenario: Eight devices push at the same moment (percentages with 4 decimals, as clients send)
      When 8 devices of alice push "A" at the same time
      Then alice reads "A" as exactly one of those pushes
