@koreader
Feature: KOReader's built-in progress sync
  The rules of the KOReader profile (`--profile koreader`): KOReader's own
  sync plugin, as the protocol facts describe it — its triggers and timings,
  its retry queue, and direction by time. "Progress sync is enabled" is its
  auto sync; "Periodically sync every # pages" is its "pages before update".

  Background:
    Given progress sync is enabled

  @KC-PUSH-1
  Rule: Closing a book, sleeping and turning Wi-Fi off push the position; offline it waits in the retry queue

    Scenario Outline: <action> pushes where the reader is
      Given Wi-Fi is connected
      And the reader has book A open at 20%
      And 30 seconds pass
      And the reader turns 5 pages
      When <action>
      Then a push for book A at 25% reaches the server

      Examples:
        | action                       |
        | the reader closes the book   |
        | the device goes to sleep     |
        | the reader turns Wi-Fi off   |

    Scenario: Offline, closing queues the position without a request
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      When the reader turns 5 pages
      And the reader closes the book
      Then no request reaches the server
      And View Pending Sessions shows 1 pending

  @KC-PUSH-2
  Rule: The periodic push goes 10 s after the Nth page turn, each further turn postponing it

    Scenario: Each page turn postpones the periodic push
      Given Wi-Fi is connected
      And "Periodic page-turn updates" is on
      And "Periodically sync every # pages" is set to 1
      And the reader has book A open at 20%
      And 30 seconds pass
      When the reader turns 5 pages, one every 5 seconds
      Then the pushes for book A are at 25%

  @KC-PULL-1
  Rule: Opening a book pulls, waking pulls, the network coming up pulls the open book

    Scenario: Opening a book pulls its progress
      Given Wi-Fi is connected
      When the reader opens book A at 20%
      Then a pull for book A reaches the server

    Scenario: Waking the device pulls a second later
      Given Wi-Fi is connected
      And the reader has book A open at 20%
      And 30 seconds pass
      And the device goes to sleep
      When the device wakes up
      Then a pull for book A reaches the server

    Scenario: The network coming up pulls the open book
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      When Wi-Fi connects
      Then a pull for book A reaches the server

  @KC-PULL-2
  Rule: A pull answered with anything but 200 shows an error and changes nothing

    Scenario Outline: The pull is answered with <failure>
      Given Wi-Fi is connected
      And the server answers pulls with <failure>
      When the reader opens book A at 20%
      Then an error is shown
      And the reader stays at 20%

      Examples:
        | failure          |
        | status 404       |
        | status 500       |
        | a malformed body |

  @KC-DIR-1
  Rule: Newer or older is decided by time: the record's timestamp against the last page turn

    Scenario: Right after opening, a lower position counts as newer
      Given Wi-Fi is connected
      And the server holds progress 0.20 for book A
      When the reader opens book A at 50%
      Then the user is asked whether to jump to 20%, a newer state

    Scenario: A record from before the last page turn is older, whatever its percentage
      Given Wi-Fi is connected
      And "Sync to a newer state" is set to Disable
      And "Sync to an older state" is set to Silently
      And the server holds progress 0.80 for book A
      And the reader has book A open at 50%
      And 30 seconds pass
      And the reader turns a page
      When the reader pulls progress now
      Then the reader is moved to 80%

  @KC-DEB-1
  Rule: Automatic pushes and pulls within 25 s of the previous one are skipped; the reader's own are not

    Scenario: Waking right after opening does not pull again
      Given Wi-Fi is connected
      When the reader opens book A at 20%
      And the device goes to sleep
      And the device wakes up
      Then 1 pull reaches the server

    Scenario: The reader's own pull is not held back
      Given Wi-Fi is connected
      When the reader opens book A at 20%
      And the reader pulls progress now
      Then 2 pulls reach the server

  @KC-Q-1
  Rule: A push that fails waits in the retry queue, one entry per book

    Scenario: A failed push is queued and a later accepted one clears it
      Given Wi-Fi is connected
      And the reader has book A open at 20%
      And the server answers the next push with status 500
      And the device goes to sleep
      And View Pending Sessions shows 1 pending
      When 30 seconds pass
      And the reader turns 5 pages
      And the reader closes the book
      Then View Pending Sessions shows 0 pending
      And the server holds progress 25% for book A

  @C-SAFE-2
  Rule: A queued older position never overwrites a newer one

    Scenario: A queued position older than where the reader is now goes as the current one
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader closes the book
      And the reader opens book A at 20%
      When the reader turns 20 pages
      And Wi-Fi connects
      Then the server holds progress 40% for book A
