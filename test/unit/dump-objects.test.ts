/**
 * The split of a mariadb-dump file into tables and objects (dump-objects.ts), on the layout
 * mariadb-dump 10.11 writes (test/integration/backup-schema-objects.test.ts runs it on real dumps).
 */
import { describe, expect, it } from 'vitest';
import { dumpClassifier, withCurrentUserDefiner } from '../../src/adapters/backup/dump-objects.js';

const DUMP = `/*!40101 SET NAMES utf8mb4 */;

--
-- Table structure for table \`s1_posts\`
--

CREATE TABLE \`s1_posts\` (
  \`id\` int(11) NOT NULL
);
INSERT INTO \`s1_posts\` VALUES (1,'DELIMITER ;;');
SET AUTOCOMMIT=@OLD_AUTOCOMMIT;
/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES' */ ;
DELIMITER ;;
/*!50003 CREATE*/ /*!50017 DEFINER=\`t1_user\`@\`%\`*/ /*!50003 TRIGGER s1_tr AFTER INSERT ON s1_posts FOR EACH ROW BEGIN
-- Table structure for table \`not_a_section\`
INSERT INTO s1_log (msg) VALUES ('x'); END */;;
DELIMITER ;
/*!50003 SET sql_mode              = @saved_sql_mode */ ;

--
-- Dumping routines for database 't1_db'
--
DELIMITER ;;
CREATE DEFINER=\`t1_user\`@\`%\` FUNCTION \`s1_f\`(x INT) RETURNS int(11)
RETURN x * 2
;;
DELIMITER ;

--
-- Final view structure for view \`s1_v\`
--

/*!50001 CREATE ALGORITHM=UNDEFINED */
/*!50013 DEFINER=\`t1\`\`user\`@\`%\` SQL SECURITY DEFINER */
/*!50001 VIEW \`s1_v\` AS select 1 AS \`DEFINER=\`\`x\`\`@\`\`y\`\`\` */;`;

describe('dump objects', () => {
  it('tells table lines from object lines, by sections and DELIMITER blocks', () => {
    const c = dumpClassifier();
    const parts = DUMP.split('\n').map((l) => [c.part(Buffer.from(l)), l] as const);
    const of = (kind: string) => parts.filter(([p]) => p === kind).map(([, l]) => l);
    expect(of('header')).toEqual(['/*!40101 SET NAMES utf8mb4 */;', '', '--']);
    expect(of('table')).toContain("INSERT INTO `s1_posts` VALUES (1,'DELIMITER ;;');");
    // The trigger's body stays an object, even a line of it that looks like a section comment.
    expect(of('object')).toContain('-- Table structure for table `not_a_section`');
    expect(of('object')).toContain("/*!50003 SET sql_mode              = 'STRICT_TRANS_TABLES' */ ;");
    expect(of('table')).not.toContain('DELIMITER ;');
    expect(of('object').at(-1)).toMatch(/^\/\*!50001 VIEW `s1_v`/);
    expect(c.sawRoutines).toBe(true);
  });

  it('makes every definer CURRENT_USER in object headers only', () => {
    const lines = DUMP.split('\n').map((l) => withCurrentUserDefiner(Buffer.from(l)).toString());
    expect(lines).toContain('/*!50003 CREATE*/ /*!50017 DEFINER=CURRENT_USER*/ /*!50003 TRIGGER s1_tr AFTER INSERT ON s1_posts FOR EACH ROW BEGIN');
    expect(lines).toContain('CREATE DEFINER=CURRENT_USER FUNCTION `s1_f`(x INT) RETURNS int(11)');
    expect(lines).toContain('/*!50013 DEFINER=CURRENT_USER SQL SECURITY DEFINER */');
    // A value that merely looks like a definer is left alone.
    expect(lines.at(-1)).toBe('/*!50001 VIEW `s1_v` AS select 1 AS `DEFINER=``x``@``y``` */;');
  });
});
