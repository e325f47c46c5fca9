@booklore-plugin
Feature: What progress sync sends
  Progress sync talks to BookLore's KOReader sync endpoint and stores
  document-position snapshots keyed by the book file's hash. Pull is a GET of
  one document's progress, push is a PUT of a snapshot holding the document
  hash, the percentage, KOReader's progress marker, a timestamp and the device.

  Background:
    Given progress sync is enabled
    And Wi-Fi is connected

  @C-WIRE-1
  Rule: A pull is GET {base}/api/koreader/syncs/progress/{document}

    Scenario: Opening a book pulls its progress from the document's URL
      When the reader opens book A at 20%
      Then a pull for book A reaches the server
      And every pull uses GET on /api/koreader/syncs/progress/ followed by the document hash

  @C-WIRE-2
  Rule: A push is PUT {base}/api/koreader/syncs/progress with document, percentage, progress, timestamp, device, device_id

    Scenario: The open snapshot is pushed with every field
      When the reader opens book A at 20%
      Then a push for book A at 20% reaches the server
      And every push uses PUT on /api/koreader/syncs/progress
      And every push is a JSON object with document, percentage, progress, timestamp, device and device_id

  @C-WIRE-3
  Rule: Documents are named by their KOReader partial-MD5 hash and snapshots are keyed by it

    Scenario: Two books are pushed under their own hashes
      When the reader opens book A at 20%
      And the reader closes the book
      And the reader opens book B at 60%
      Then every request names its book by the book's partial-MD5 hash in 32 lowercase hex digits
      And the server holds progress 20% for book A
      And the server holds progress 60% for book B

  @C-WIRE-4
  Rule: Every request carries x-auth-user and x-auth-key (MD5 of the password); the password itself is never sent

    Scenario: Pull and push both authenticate with the key, never the password
      Given the server holds progress 0.50 for book A
      When the reader opens book A at 20%
      And the reader closes the book
      Then at least 2 requests reach the server
      And every request carries the user name in x-auth-user and the MD5 of the password in x-auth-key
      And the password never appears in any request

  @C-WIRE-5
  Rule: Percentage is a number in [0, 1], progress a string, timestamp whole seconds since the epoch

    Scenario Outline: A snapshot at <position> is well-typed
      When the reader opens book A at <position>
      And the reader closes the book
      Then a push for book A at <position> reaches the server
      And every push has a percentage within [0, 1], a string progress marker and a timestamp in whole seconds

      Examples:
        | position |
        | 0%       |
        | 37%      |
        | 100%     |
