@booklore-plugin
Feature: Pulling remote progress
  Two toggles decide when remote progress is checked: "Pull progress on book
  open" and "Pull progress on resume", both On by default. Either only acts
  when Wi-Fi is already connected. A book with no remote progress (404) is
  normal: reading continues with the local position.

  Background:
    Given progress sync is enabled
    And Wi-Fi is connected

  Scenario Outline: "<toggle>" is On by default
    Given the pull toggles are left at their defaults
    And <situation>
    When <trigger>
    Then a pull for book A reaches the server

    @C-PULL-1
    Examples: on open
      | toggle                     | situation       | trigger                        |
      | Pull progress on book open | no book is open | the reader opens book A at 20% |

    @C-PULL-2
    Examples: on resume
      | toggle                  | situation                                    | trigger             |
      | Pull progress on resume | the device is asleep with book A open at 20% | the device wakes up |

  @C-PULL-1
  Rule: With "Pull progress on book open" on (the default), opening a book with Wi-Fi connected pulls its progress

    Scenario: Each book opened is pulled
      When the reader opens book A at 20%
      And the reader closes the book
      And the reader opens book B at 40%
      Then a pull for book A reaches the server
      And a pull for book B reaches the server

  @C-PULL-2
  Rule: With "Pull progress on resume" on (the default), waking with a book open and Wi-Fi connected pulls its progress

    Scenario: Waking up pulls the open book
      Given the reader has book A open at 20%
      And the device goes to sleep
      When the device wakes up
      Then a pull for book A reaches the server

    Scenario: A newer remote position found on resume is offered
      Given the reader has book A open at 20%
      And the device goes to sleep
      And the server holds progress 0.70 for book A
      When the device wakes up
      Then the user is asked whether to jump to 70%, a newer state

  @C-PULL-3
  Rule: No pull without Wi-Fi, and the client does not turn Wi-Fi on to pull

    Scenario: Opening a book offline pulls nothing
      Given Wi-Fi is disconnected
      And the server holds progress 0.70 for book A
      When the reader opens book A at 20%
      Then no request reaches the server
      And the user is not asked anything
      And the reader stays at 20%

    Scenario: Waking up offline pulls nothing
      Given the reader has book A open at 20%
      And the device goes to sleep
      And Wi-Fi is disconnected
      When the device wakes up
      Then no request reaches the server

    Scenario: Wi-Fi coming back later does not pull the open book
      Given Wi-Fi is disconnected
      And the reader has book A open at 20%
      When Wi-Fi connects
      Then no pull reaches the server

  @C-PULL-4
  Rule: With a pull toggle off, that event pulls nothing

    Scenario: "Pull progress on book open" off
      Given "Pull progress on book open" is off
      And the server holds progress 0.70 for book A
      When the reader opens book A at 20%
      Then no pull reaches the server
      And the user is not asked anything
      And a push for book A at 20% reaches the server

    Scenario: "Pull progress on resume" off
      Given "Pull progress on resume" is off
      And the reader has book A open at 20%
      And the device goes to sleep
      When the device wakes up
      Then no pull reaches the server

    Scenario: "Pull progress on resume" off still pulls on open
      Given "Pull progress on resume" is off
      When the reader opens book A at 20%
      Then a pull for book A reaches the server

  @C-PULL-5
  Rule: A 404 from the pull endpoint is normal: no error, no prompt, the local position stays, reading continues

    Scenario: A book never synced before
      Given the server has no progress for book A
      When the reader opens book A at 20%
      Then a pull for book A reaches the server
      And the server answers it with 404
      And no error is shown
      And the user is not asked anything
      And the reader stays at 20%

    Scenario: A 404 is not remote progress, whatever the strategies
      Given "Sync to a newer state" is set to Silently
      And "Sync to an older state" is set to Silently
      When the reader opens book A at 20%
      Then the reader stays at 20%
      And the user is not asked anything
      And no error is shown

    Scenario: Reading goes on normally after the 404
      Given the server has no progress for book A
      And "Periodically sync every # pages" is set to 5
      And the reader has book A open at 20%
      When 30 seconds pass
      And the reader turns 5 pages
      Then a push for book A at 25% reaches the server
      And no error is shown

  @C-PULL-6
  Rule: Any other failed pull leaves the local position alone and prompts nothing
    Both strategies are Silently here, so a client that took a failed pull
    for some remote position would visibly move the reader.

    Scenario Outline: The pull fails with <failure>
      Given "Sync to a newer state" is set to Silently
      And "Sync to an older state" is set to Silently
      And the server holds progress 0.70 for book A
      And the server answers pulls with <failure>
      When the reader opens book A at 20%
      Then a pull for book A reaches the server
      And the user is not asked anything
      And the reader stays at 20%

      Examples:
        | failure              |
        | status 500           |
        | status 503           |
        | status 401           |
        | status 403           |
        | a dropped connection |
        | a malformed body     |
        | an empty body        |

  @C-PULL-7
  Rule: Interpretation: on open, the pull goes out before the open snapshot is uploaded
    Interpretation: the source lists both "pull on open" and "queue a snapshot
    on open" without an order. Pulling first means the server's position is
    read before this device's open snapshot overwrites it.

    Scenario: The pull precedes the open snapshot's upload
      Given the server holds progress 0.70 for book A
      When the reader opens book A at 20%
      Then the pull for book A reaches the server before any push
      And the user is asked whether to jump to 70%, a newer state

    Scenario: A slow pull still reads the server's position, not the open snapshot
      Given the server holds progress 0.70 for book A
      And the server is slow to answer pulls
      When the reader opens book A at 20%
      Then the user is asked whether to jump to 70%, a newer state
      And the pull for book A reaches the server before any push

    # Book A's open and close snapshots are queued offline; the model uploads
    # nothing when Wi-Fi comes back, so they are still queued when A reopens and
    # a close of B would carry them first. A client that uploads on Wi-Fi up has
    # emptied its queue by then, and this scenario asks nothing more of it.
    Scenario: Snapshots of the book still queued from earlier go after its pull too
      Given the server holds progress 0.70 for book A
      And Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader opens book B at 10%
      And Wi-Fi connects
      When the reader opens book A at 20%
      Then the pull for book A reaches the server before any push
      And the user is asked whether to jump to 70%, a newer state

  @C-PULL-8
  Rule: Interpretation: after a pulled position is applied, the snapshots still waiting carry it
    Interpretation: the source queues a snapshot on open and pulls on open,
    but does not say what that snapshot holds once the pull has moved the
    reader. The contract reads: the applied position, so the upload that
    follows never puts the server back behind what the reader accepted.

    Scenario: The open snapshot uploaded after a silent apply carries the applied position
      Given "Sync to a newer state" is set to Silently
      And the server holds progress 0.80 for book A
      When the reader opens book A at 20%
      Then the reader is moved to 80%
      And the pushes for book A are at 80%
      And the server holds progress 80% for book A

    Scenario: A snapshot queued offline carries the position accepted later
      Given "Sync to a newer state" is set to Prompt
      And the server holds progress 0.80 for book A
      And Wi-Fi is disconnected
      And the reader has book A open at 20%
      And the reader turns 5 pages
      When Wi-Fi connects
      And the device goes to sleep
      And the device wakes up
      Then the user is asked whether to jump to 80%, a newer state
      When the user confirms
      And the reader runs Sync Pending Now
      Then the pushes for book A are at 80%
      And the server holds progress 80% for book A
